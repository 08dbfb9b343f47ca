package io.camelrsync.client;

import io.camelrsync.flist.ChmodRules;
import io.camelrsync.fs.Dir;
import io.camelrsync.fs.FsException;
import io.camelrsync.fs.Names;
import io.camelrsync.protocol.ClientArgs;
import io.camelrsync.protocol.CompatFlags;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.HandshakeCodec;
import io.camelrsync.protocol.Negotiation;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.protocol.MessageListener;
import io.camelrsync.protocol.MultiplexReader;
import io.camelrsync.protocol.MultiplexWriter;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.receiver.AltDests;
import io.camelrsync.receiver.BackupPlan;
import io.camelrsync.receiver.DestinationTree;
import io.camelrsync.receiver.Ownership;
import io.camelrsync.receiver.ReceiveRole;
import io.camelrsync.receiver.ReceiveStats;
import io.camelrsync.receiver.ReceiveTarget;
import io.camelrsync.receiver.SessionMemory;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One pull from an rsync daemon (main.c client_run, its receiving half): the login and arguments a push uses,
 * with --sender, then our side is the generator and receiver, the very role our daemon runs for a push
 * ({@link ReceiveRole}), writing into DEST through the same confined tree: a daemon that sends "..", an absolute
 * name, a path through a symlink or more than it announced gets the errors a hostile client gets.
 */
public final class PullSession {

    /**
     * The name our receiver's messages give DEST ("in module pull", the file list's limits "of module pull"): the
     * module of one directory the pull's receiver used to run as.
     */
    private static final String PULL = "pull";

    private final RsyncTarget source;
    /** Every source path the daemon is asked for, the first being {@link #source}'s (same host and module). */
    private final List<String> moduleArgs;
    private final Path destination;
    private final PushOptions options;
    private final PushListener listener;
    private volatile String lastDaemonError;

    /** @param destination the local directory the module's path is pulled into (made when missing) */
    public PullSession(RsyncTarget source, Path destination, PushOptions options, PushListener listener) {
        this(List.of(source), destination, options, listener);
    }

    /**
     * Several sources of one daemon module pulled in one session, as rsync's client asks for them (their lists
     * merged by the daemon).
     */
    public PullSession(List<RsyncTarget> sources, Path destination, PushOptions options, PushListener listener) {
        this.source = sources.get(0);
        for (RsyncTarget other : sources) {
            if (!other.host().equals(source.host()) || other.port() != source.port()
                    || !other.module().equals(source.module())) {
                throw new IllegalArgumentException("all sources of a pull must be paths of one module of one daemon ("
                        + source.host() + "::" + source.module() + "), not " + other.host() + "::" + other.module());
            }
        }
        this.moduleArgs = sources.stream().map(RsyncTarget::moduleArg).toList();
        this.destination = destination.toAbsolutePath().normalize();
        this.options = options;
        this.listener = listener;
    }

    public TransferStats run() throws IOException {
        long start = System.nanoTime();
        prepareDestination();
        TransferStats stats = new TransferStats();
        try (Socket socket = DaemonConnection.open(source, options)) {
            transfer(socket, stats);
        }
        stats.elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        return stats;
    }

    /** main.c get_local_name: the destination is made when missing, its parent must exist. */
    private void prepareDestination() throws IOException {
        if (Files.isDirectory(destination, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.exists(destination, LinkOption.NOFOLLOW_LINKS)) {
            throw new RsyncException(ExitCode.FILE_SELECT, "rsync: destination " + destination
                    + " is not a directory (a pull goes into a directory)");
        }
        try {
            Files.createDirectory(destination);
        } catch (IOException e) {
            throw new RsyncException(ExitCode.FILE_IO, "rsync: [Receiver] mkdir \"" + destination + "\" failed: "
                    + e.getMessage(), e);
        }
        listener.message(MessageCode.INFO, "created directory " + destination + "\n");
    }

    private void transfer(Socket socket, TransferStats stats) throws IOException {
        DaemonConnection.Streams streams = DaemonConnection.streams(socket, options);
        BufferedInputStream in = streams.in();
        OutputStream rawOut = streams.out();
        MultiplexReader reader = null;
        try {
            int protocol = new DaemonLogin(in, rawOut, source, options, listener).run();
            List<String> args = ServerArgs.of(options, true, false, moduleArgs).toArgs();
            HandshakeCodec.writeArgs(rawOut, args);
            WireOutput plain = new WireOutput(rawOut);

            WireInput setup = new WireInput(in);
            CompatFlags compat = DaemonConnection.readCompatFlags(setup);
            Negotiation.Result negotiated = DaemonConnection.negotiate(setup, plain, compat, options);
            int seed = setup.readInt();

            socket.setSoTimeout(0); // from here the reader thread waits; the data stream has the deadline
            reader = new MultiplexReader(in, messages(stats), options.ioTimeoutMillis());
            reader.start("rsync-demux-" + source.host());
            MultiplexWriter mux = new MultiplexWriter(rawOut);
            mux.keepMessagesLocal((code, payload) -> local(code, payload, stats));
            WireOutput out = new WireOutput(mux);
            // exclude.c send_filter_list: a receiving client always sends its rules; the sender leaves out
            // what they exclude
            for (String rule : options.filters.wireRules()) {
                byte[] b = Names.encode(rule);
                out.writeInt(b.length);
                out.write(b);
            }
            out.writeInt(0);
            out.flush();

            ReceiveStats received = receive(args, new WireInput(reader.data()), reader, mux, protocol, compat,
                    negotiated, seed);
            stats.files = received.files;
            stats.transferredFiles = received.transferredFiles;
            stats.literalBytes = received.literalBytes;
            stats.matchedBytes = received.matchedBytes;
            stats.deletedFiles = Math.max(stats.deletedFiles, received.deleted());
            stats.bytesSent = mux.bytesWritten();
            stats.bytesReceived = reader.bytesRead();
            if (received.errors > 0) {
                stats.exitCode = ExitCode.PARTIAL;
            }
        } catch (IOException e) {
            throw DaemonConnection.failure(e, reader, lastDaemonError, options, "receiver");
        } finally {
            if (reader != null) {
                reader.abort(new IOException("the pull has ended"));
            }
            streams.watchdog().close();
        }
    }

    /**
     * Our receiver for this pull (main.c do_recv on the client): the receiving role on DEST, with the arguments we
     * sent the daemon parsed back (less --sender), so both ends agree on every option. DEST is the root of every
     * write, of --backup-dir and of the alt dirs, as a module is a daemon's: nothing outside it is reached, nor
     * anything through a symlink. No module rules, this process's ownership, no incoming chmod, no munged links
     * unless asked for, and a module's default limits on the file list.
     */
    private ReceiveStats receive(List<String> sent, WireInput data, MultiplexReader reader, MultiplexWriter mux,
                                 int protocol, CompatFlags compat, Negotiation.Result negotiated, int seed)
            throws IOException {
        List<String> mine = new ArrayList<>(sent);
        mine.remove("--sender");
        ClientArgs args = ClientArgs.parse(mine);
        if (args.refusal() != null) {
            throw new RsyncException(ExitCode.UNSUPPORTED, args.refusal());
        }
        BackupPlan backupPlan;
        try {
            backupPlan = BackupPlan.of(args, List.of());
        } catch (BackupPlan.Rejected e) {
            throw new RsyncException(ExitCode.UNSUPPORTED, e.getMessage()); // option_error
        }
        AltDests altDests = AltDests.of(args, List.of());
        DestinationTree.Policy policy = new DestinationTree.Policy(args.perms(), args.times(), args.owner(),
                args.group(), args.fsync(), args.used().contains("munge-links"), ChmodRules.parse(null),
                Ownership.ofThisProcess(), backupPlan != null && backupPlan.dir() == null);
        SessionMemory memory = new SessionMemory(PULL, SessionMemory.DEFAULT_MAX_ENTRIES,
                SessionMemory.DEFAULT_MAX_BYTES);
        ReceiveTarget target;
        Dir root;
        try {
            root = Dir.open(destination);
        } catch (FsException e) {
            throw new RsyncException(ExitCode.FILE_SELECT, "ERROR: module " + PULL + " has no usable path: "
                    + e.getMessage());
        }
        try {
            if (backupPlan != null && backupPlan.dir() != null) {
                ReceiveTarget.checkBackupDir(root, backupPlan);
            }
            target = ReceiveTarget.open(root, root.retain(), backupPlan, altDests, policy, args.dryRun(), false,
                    text -> warn(mux, text));
        } finally {
            root.close();
        }
        try (target; memory) {
            return new ReceiveRole(new ReceiveRole.Settings(args, protocol, compat, negotiated, seed,
                    options.ioTimeoutMillis()), new ReceiveRole.Policy(PULL, (path, dir) -> false, line -> { }, true),
                    target, options.filters, new ReceiveStats(), mux).run(data, reader, memory);
        }
    }

    /** A warning for the user (rsync's FWARNING), kept on this side as our receiver's messages are. */
    private static void warn(MultiplexWriter mux, String text) {
        try {
            mux.sendMessage(MessageCode.WARNING, (text + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException gone) {
            // kept local: only a broken listener fails here
        }
    }

    /** Messages our receiver keeps on this side: the user sees them, as rsync's client shows its own. */
    private void local(int code, byte[] payload, TransferStats stats) {
        String text = new String(payload, StandardCharsets.UTF_8);
        if (code == MessageCode.DELETED) {
            stats.deletedFiles++;
            listener.deleted(text.endsWith("\0") ? text.substring(0, text.length() - 1) + "/" : text);
        } else if (code == MessageCode.ERROR_XFER || code == MessageCode.ERROR || code == MessageCode.WARNING
                || code == MessageCode.INFO) {
            listener.message(code, text);
        }
    }

    private MessageListener messages(TransferStats stats) {
        return new MessageListener() {
            @Override
            public void onText(int code, String text) {
                if (code == MessageCode.ERROR || code == MessageCode.ERROR_XFER) {
                    lastDaemonError = text;
                    if (code == MessageCode.ERROR_XFER) {
                        stats.exitCode = ExitCode.PARTIAL;
                    }
                }
                listener.message(code, text);
            }

            @Override
            public void onDeleted(String path) {
                listener.deleted(path);
            }
        };
    }
}
