package io.camelrsync.client;

import io.camelrsync.daemon.ClientArgs;
import io.camelrsync.daemon.ModuleRequest;
import io.camelrsync.daemon.ReceiveSession;
import io.camelrsync.daemon.ReceiveStats;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.fs.Names;
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
 * with --sender, then our side is the generator and receiver, the very ones our daemon runs for a push
 * (ReceiveSession), writing into DEST through the same confined tree: a daemon that sends "..", an absolute
 * name, a path through a symlink or more than it announced gets the errors a hostile client gets.
 */
public final class PullSession {

    private final RsyncTarget source;
    private final Path destination;
    private final PushOptions options;
    private final PushListener listener;
    private volatile String lastDaemonError;

    /** @param destination the local directory the module's path is pulled into (made when missing) */
    public PullSession(RsyncTarget source, Path destination, PushOptions options, PushListener listener) {
        this.source = source;
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
            List<String> args = ServerArgs.of(options, true, false, source.moduleArg());
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

            ReceiveStats received = receiver(args, protocol).receivePull(mux, reader, protocol, compat, negotiated,
                    seed, options.filters);
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
     * Our receiver for this pull: ReceiveSession on a module of one directory, DEST, parsing the arguments we
     * sent the daemon (less --sender, the path being DEST itself), so both ends agree on every option.
     */
    private ReceiveSession receiver(List<String> sent, int protocol) throws IOException {
        boolean root = "root".equals(System.getProperty("user.name"));
        String conf = "[pull]\npath = " + destination + "\nread only = no\nuse chroot = no\nmunge symlinks = no\n"
                + (root ? "uid = root\ngid = root\n" : "");
        List<String> mine = new ArrayList<>(sent);
        mine.remove("--sender");
        mine.set(mine.size() - 1, "pull");
        RsyncdConf local = RsyncdConf.parse(conf, destination.resolve(".camel-rsync-pull.conf"));
        return new ReceiveSession(new ModuleRequest(local.module("pull").orElseThrow(), null, protocol, mine),
                ClientArgs.parse(mine), destination, line -> { }, options.ioTimeoutMillis());
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
