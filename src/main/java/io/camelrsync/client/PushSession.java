package io.camelrsync.client;

import io.camelrsync.flist.ChangeSet;
import io.camelrsync.flist.EntrySource;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileScanner;
import io.camelrsync.flist.ScanResult;
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
import io.camelrsync.sender.FileSender;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One push to an rsync daemon in the sender role (main.c client_run, sender.c send_files): handshake,
 * arguments, protocol setup, filter list, file list, then answering the daemon's generator file by file.
 */
public final class PushSession {

    private final Path source;
    private final boolean contentsOnly;
    private final RsyncTarget target;
    private final PushOptions options;
    /** What this session sends: the change set given, less the moved paths sent before it by MoveSessions. */
    private ChangeSet changes;
    private final PushListener listener;
    private final TransferStats stats = new TransferStats();
    private volatile String lastDaemonError;
    private volatile boolean sawTransferError;
    private volatile int deletions;

    /**
     * @param contentsOnly true for rsync's "SRC/" (send what is inside), false for "SRC" (send the directory)
     * @param changes      null for the whole tree, else only these paths
     */
    public PushSession(Path source, boolean contentsOnly, RsyncTarget target, PushOptions options, ChangeSet changes,
                       PushListener listener) {
        this.source = source;
        this.contentsOnly = contentsOnly;
        this.target = target;
        this.options = options;
        this.changes = changes;
        this.listener = listener;
    }

    public TransferStats run() throws IOException {
        long start = System.nanoTime();
        TransferStats before = new TransferStats();
        if (changes != null && changes.isWholeTree() && changes.size() > 1) {
            // what is known to have changed goes first, transferred whatever its size and mtime say: the quick check
            // of the whole tree that follows would skip a same-size rewrite within the same second
            before.add(new PushSession(source, contentsOnly, target, options, changes.known(), listener).run());
            changes = ChangeSet.builder().add("./").build();
        }
        if (changes != null && !changes.moves().isEmpty()) {
            changes = new MoveSessions(source, target, options, listener, before).send(changes);
        }
        EntrySource scan = startScan(); // reads the tree on the scan pool while we connect and log in
        try (Socket socket = DaemonConnection.open(target, options)) {
            transfer(socket, scan);
        }
        stats.deletedFiles = Math.max(stats.deletedFiles, deletions);
        stats.add(before);
        stats.elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        return stats;
    }

    private EntrySource startScan() throws IOException {
        Path abs = source.toAbsolutePath().normalize();
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new RsyncException(ExitCode.PARTIAL, "rsync: link_stat \"" + abs
                    + "\" failed: No such file or directory (2)\n(check the source path " + abs + ")");
        }
        boolean dir = Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS);
        String prefix = contentsOnly && dir ? "" : abs.getFileName() == null ? "" : abs.getFileName().toString();
        if (!options.recursive && dir && changes == null) {
            // rsync without -r (or -d) skips a directory argument and sends an empty list
            listener.message(MessageCode.WARNING, "skipping directory " + (prefix.isEmpty() ? "." : prefix) + "\n");
            return new ScanResult(List.of(), 0);
        }
        String root = options.filterRoot == null || options.filterRoot.equals(".") ? "" : options.filterRoot + "/";
        FileScanner scanner = new FileScanner(abs, prefix, root.isEmpty() ? options.filters::isExcluded
                : (path, isDir) -> options.filters.isExcluded(root + path, isDir),
                w -> listener.message(MessageCode.WARNING, w + "\n"));
        if (changes != null) {
            return scanner.scanChanges(changes);
        }
        return scanner.startTree();
    }

    private void transfer(Socket socket, EntrySource scan) throws IOException {
        DaemonConnection.Streams streams = DaemonConnection.streams(socket, options);
        BufferedInputStream in = streams.in();
        OutputStream rawOut = streams.out();
        MultiplexReader reader = null;
        try {
            int protocol = new DaemonLogin(in, rawOut, target, options, listener).run();
            HandshakeCodec.writeArgs(rawOut, ServerArgs.of(options, false, transfersEveryNamedFile(),
                    List.of(target.moduleArg())).toArgs());
            WireOutput plain = new WireOutput(rawOut);

            WireInput setup = new WireInput(in);
            CompatFlags compat = DaemonConnection.readCompatFlags(setup);
            Negotiation.Result negotiated = DaemonConnection.negotiate(setup, plain, compat, options);
            int seed = setup.readInt();

            socket.setSoTimeout(0); // from here the reader thread waits; the data stream has the deadline
            reader = new MultiplexReader(in, messages(), options.ioTimeoutMillis());
            reader.start("rsync-demux-" + target.host());
            MultiplexWriter mux = new MultiplexWriter(rawOut);
            WireOutput out = new WireOutput(mux);
            WireInput data = new WireInput(reader.data());

            if (options.delete) {
                List<String> rules = new ArrayList<>(options.filters.wireRules());
                if (options.makesBackups() && options.backupDirSent() == null) {
                    // options.c: backups beside their files are protected from --delete, after the user's rules
                    rules.add("P *" + options.effectiveSuffix());
                }
                if (scan instanceof ScanResult changed) {
                    rules.addAll(changed.deletionRules()); // after the user's: what they exclude stays protected
                }
                for (String rule : rules) {
                    byte[] b = Names.encode(rule); // a deleted name's bytes, whatever they are
                    out.writeInt(b.length);
                    out.write(b);
                }
                out.writeInt(0);
            }
            FileSender sender = new FileSender(new FileSender.Settings(protocol, compat.negotiated(),
                    compat.id0Names(), compat.safeFlist(protocol), options.owner, options.group, options.devices,
                    options.specials, options.links, options.hardLinks, options.numericIds, options.dryRun,
                    negotiated.checksum(), seed, compat.seedFirst(), false, negotiated.compression(),
                    negotiated.level(), options.checksum),
                    file -> FileChannel.open(file.source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS),
                    senderEvents());
            List<FileEntry> files = sender.sendFileList(out, mux, scan);
            int ioError = sender.sendFiles(data, out, mux, files, scan.ioError());
            sender.readGoodbye(data, out);
            counted(sender.counts());
            stats.bytesSent += mux.bytesWritten();
            stats.bytesReceived += reader.bytesRead();
            if (scan instanceof ScanResult named && named.unreadable() > 0) {
                sawTransferError = true; // rsync's exit 23: some named paths could not be read
            }
            if (ioError != 0 || sawTransferError) {
                stats.exitCode = sawTransferError || (ioError & ScanResult.IOERR_GENERAL) != 0
                        ? ExitCode.PARTIAL : ExitCode.VANISHED;
            }
        } catch (IOException e) {
            throw DaemonConnection.failure(e, reader, lastDaemonError, options, "sender");
        } finally {
            streams.watchdog().close();
        }
    }

    /**
     * A change set names files known to have changed: each is transferred (as a delta against the old copy)
     * whatever its size and mtime say, since the receiver's quick check compares whole seconds and would keep a
     * same-size rewrite made within the second of the last push (-I, generator.c's ignore_times). A full sync
     * keeps the quick check: it is the catch-up path, as cheap as a no-change push.
     */
    private boolean transfersEveryNamedFile() {
        return changes != null && !changes.isWholeTree();
    }

    private FileSender.Events senderEvents() {
        return new FileSender.Events() {
            @Override
            public void message(int code, String text) {
                listener.message(code, text);
            }

            @Override
            public void itemized(FileEntry file, int iflags) {
                listener.itemized(file, iflags);
            }

            @Override
            public void progress(FileEntry file, long done, long total) {
                listener.progress(file, done, total);
            }

            @Override
            public void deleted(int total) {
                stats.deletedFiles = Math.max(deletions, total);
            }
        };
    }

    private void counted(FileSender.Counts c) {
        stats.files += c.files;
        stats.regularFiles += c.regularFiles;
        stats.directories += c.directories;
        stats.symlinks += c.symlinks;
        stats.createdFiles += c.createdFiles;
        stats.transferredFiles += c.transferredFiles;
        stats.totalSize += c.totalSize;
        stats.transferredSize += c.transferredSize;
        stats.literalBytes += c.literalBytes;
        stats.matchedBytes += c.matchedBytes;
        stats.fileListBytes += c.fileListBytes;
    }

    private MessageListener messages() {
        return new MessageListener() {
            @Override
            public void onText(int code, String text) {
                if (code == MessageCode.ERROR || code == MessageCode.ERROR_XFER) {
                    lastDaemonError = text;
                    if (code == MessageCode.ERROR_XFER) {
                        sawTransferError = true;
                    }
                }
                listener.message(code, text);
            }

            @Override
            public void onDeleted(String path) {
                deletions++;
                listener.deleted(path);
            }
        };
    }
}
