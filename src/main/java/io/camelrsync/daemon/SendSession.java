package io.camelrsync.daemon;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.filter.FilterRules;
import io.camelrsync.flist.ChangeSet;
import io.camelrsync.flist.EntrySource;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListOrder;
import io.camelrsync.flist.FileScanner;
import io.camelrsync.flist.ScanResult;
import io.camelrsync.fs.Dir;
import io.camelrsync.fs.FsException;
import io.camelrsync.fs.Stat;
import io.camelrsync.protocol.ClientArgs;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.Negotiation;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.protocol.MultiplexWriter;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.receiver.ReceiveStats;
import io.camelrsync.sender.FileSender;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Our daemon as the sender: a client pulls from a module (main.c start_server and do_server_sender,
 * exclude.c recv_filter_list, flist.c send_file_list, sender.c send_files through the shared FileSender).
 * What it reads stays inside the module: the requested path is opened one component at a time without following
 * a symlink, the walk lists symlinks as symlinks, and every file is opened relative to its directory so.
 */
final class SendSession {
    private final ModuleRequest request;
    private final ClientArgs args;
    private final Path moduleRoot;
    private final Consumer<String> log;
    /** The module's own rules, by path below the module: what they exclude is never sent. */
    private final BiPredicate<String, Boolean> daemonRefuses;
    private final ServerSession.Refusal refusal;
    private final ReceiveStats stats;

    /** Where the transfer starts below the module ("" for its top), and how its names begin on the wire. */
    /** The base of the one source a pull names (see {@link Source}); null with several. */
    private String singleBase;
    /** With several sources, each listed entry's base. */
    private final java.util.Map<FileEntry, String> baseOf = new java.util.IdentityHashMap<>();
    /** The directory of the last file sent, open, and its path below the module. */
    private Dir openDir;
    private String openDirRel;

    SendSession(ModuleRequest request, ClientArgs args, Path moduleRoot, Consumer<String> log,
                BiPredicate<String, Boolean> daemonRefuses, ServerSession.Refusal refusal, ReceiveStats stats) {
        this.request = request;
        this.args = args;
        this.moduleRoot = moduleRoot;
        this.log = log;
        this.daemonRefuses = daemonRefuses;
        this.refusal = refusal;
        this.stats = stats;
    }

    /** Runs the pull on the set-up session: the client's filter list, the file list, the files, the stats. */
    void serve(MultiplexWriter mux, WireInput data, LongSupplier bytesRead, int protocol, boolean varint,
               boolean id0Names,
               boolean safeFlist, ChecksumAlgorithm algorithm, int seed, boolean seedFirst,
               Negotiation.Result negotiated)
            throws IOException {
        ModuleConf module = request.module();
        stats.pulled = true;
        FilterRules clientRules;
        try {
            clientRules = ClientRules.read(data, true); // recv_filter_list: a sender always reads it
        } catch (IllegalArgumentException e) {
            refusal.refuse("ERROR: " + e.getMessage(), ExitCode.UNSUPPORTED);
            return;
        }
        if (module.writeOnly()) {
            refusal.refuse("ERROR: module is write only", ExitCode.SYNTAX);
            return;
        }
        // main.c do_server_sender: each argument is a source; their lists go out as one, sorted, without duplicates
        List<String> paths = args.paths().isEmpty() ? List.of(module.name()) : args.paths();
        List<Source> sources = new ArrayList<>();
        List<Source> failed = new ArrayList<>();
        for (String path : paths) {
            Source source = source(path);
            (source.error() == null ? sources : failed).add(source);
        }
        if (sources.isEmpty()) {
            refusal.refuse(failed.get(0).error(), failed.get(0).exitCode());
            return;
        }
        EntrySource scan;
        if (sources.size() == 1 && failed.isEmpty()) {
            Source source = sources.get(0);
            scan = scan(source, clientRules, mux);
            singleBase = source.base();
        } else {
            scan = merged(sources, failed, clientRules, mux);
        }
        FileSender sender = new FileSender(new FileSender.Settings(protocol, varint, id0Names, safeFlist,
                args.owner(), args.group(), args.devices(), args.specials(), args.links(), args.hardLinks(),
                args.numericIds(),
                args.dryRun(), algorithm, seed, seedFirst, true, negotiated.compression(), negotiated.level(), args.checksum()),
                this::open, new FileSender.Events() {
                    @Override
                    public void message(int code, String text) {
                        log.accept(text.strip() + " (module " + module.name() + ")");
                        try {
                            mux.sendMessage(code, text.getBytes(StandardCharsets.UTF_8));
                        } catch (IOException gone) {
                            // the client is gone: the session ends at its next read
                        }
                    }
                });
        WireOutput out = new WireOutput(mux);
        long start = System.nanoTime();
        List<FileEntry> files = sender.sendFileList(out, mux, scan);
        long listMillis = (System.nanoTime() - start) / 1_000_000;
        stats.files = files.size();
        try {
            sender.sendFiles(data, out, mux, files, scan.ioError());
        } finally {
            closeOpenDir();
        }
        FileSender.Counts c = sender.counts();
        stats.transferredFiles = c.transferredFiles;
        stats.literalBytes = c.literalBytes;
        stats.matchedBytes = c.matchedBytes;
        // main.c handle_stats, a server sender's: what it read and wrote, the size of the files listed, and how
        // long the list took to build and to send (the client prints them at --stats)
        out.writeVarlong(bytesRead.getAsLong(), 3);
        out.writeVarlong(mux.bytesWritten(), 3);
        out.writeVarlong(c.totalSize, 3);
        out.writeVarlong(listMillis, 3);
        out.writeVarlong(0, 3);
        out.flush();
        sender.readGoodbye(data, out);
        mux.flush();
    }

    /**
     * The requested path below the module, checked; or the error the client gets. {@code base} is the directory
     * below the module that the names of its list are relative to.
     */
    private record Source(String rel, String wirePrefix, boolean directory, String base, String error,
                          int exitCode) {
        static Source failed(String error, int exitCode) {
            return new Source(null, null, false, null, error, exitCode);
        }
    }

    /** One source's entries, as the client's options ask (-r, -d, or neither). */
    private EntrySource scan(Source source, FilterRules rules, MultiplexWriter mux) throws IOException {
        FileScanner scanner = new FileScanner(moduleRoot.resolve(source.rel()), source.wirePrefix(),
                (path, dir) -> rules.isExcluded(path, dir) || daemonRefuses.test(moduleRel(source.base(), path), dir),
                w -> warn(mux, w));
        if (!args.recursive() && source.directory() && args.used().contains("dirs")) {
            // -d (what "rsync host::module/" asks for a listing): the directory and its entries, no deeper
            return scanner.scanChanges(ChangeSet.of(children(source.rel())));
        } else if (!args.recursive() && source.directory()) {
            // rsync without -r (or -d) skips a directory argument and sends an empty list
            warn(mux, "skipping directory " + (source.wirePrefix().isEmpty() ? "." : source.wirePrefix()));
            return new ScanResult(List.of(), 0);
        }
        return scanner.startTree();
    }

    /**
     * Several sources (flist.c send_file_list per argument, then flist_sort_and_clean): every entry of each, in
     * rsync's list order, a name listed twice sent once (the first argument's); a source that failed is
     * reported and the rest goes, with io_error set (the client exits 23).
     */
    private EntrySource merged(List<Source> sources, List<Source> failed, FilterRules rules, MultiplexWriter mux)
            throws IOException {
        List<FileEntry> all = new ArrayList<>();
        int ioError = 0;
        for (Source source : sources) {
            EntrySource one = scan(source, rules, mux);
            one.forEach(e -> {
                all.add(e);
                baseOf.put(e, source.base());
            });
            ioError |= one.ioError();
        }
        for (Source f : failed) {
            warn(mux, f.error());
            ioError |= ScanResult.IOERR_GENERAL;
        }
        all.sort((a, b) -> FileListOrder.compare(a.name, a.isDirectory(), b.name, b.isDirectory()));
        List<FileEntry> unique = new ArrayList<>(all.size());
        for (FileEntry e : all) {
            if (unique.isEmpty() || !java.util.Arrays.equals(unique.get(unique.size() - 1).name, e.name)) {
                unique.add(e);
            }
        }
        return new ScanResult(unique, ioError);
    }

    /**
     * clientserver.c glob_expand_module and main.c do_server_sender's change_dir: "module/sub/dir/" sends what is
     * in sub/dir, "module/sub/dir" the directory itself (named "dir"), "module" or "module/" the whole module.
     * Every component is opened without following a symlink: one that is a symlink is refused, never followed.
     */
    private Source source(String arg) throws IOException {
        String name = request.module().name();
        String rest = arg.equals(name) ? "" : arg.startsWith(name + "/") ? arg.substring(name.length() + 1) : arg;
        boolean contents = rest.isEmpty() || rest.endsWith("/") || rest.endsWith("/.") || rest.equals(".");
        List<String> parts = new ArrayList<>();
        for (String p : rest.split("/")) {
            if (p.equals("..")) {
                return Source.failed("ERROR: the path " + arg + " leaves the module", ExitCode.UNSUPPORTED);
            }
            if (!p.isEmpty() && !p.equals(".")) {
                parts.add(p);
            }
        }
        String rel = String.join("/", parts);
        Stat st;
        try (Dir module = Dir.open(moduleRoot)) {
            if (parts.isEmpty()) {
                st = module.stat();
            } else {
                String parent = String.join("/", parts.subList(0, parts.size() - 1));
                try (Dir d = parent.isEmpty() ? module.retain() : module.openPath(parent)) {
                    st = d.stat(parts.get(parts.size() - 1));
                }
            }
        } catch (FsException e) {
            return Source.failed("rsync: [sender] change_dir \"" + arg + "\" (in " + name + ") failed: "
                    + (e.notConfinable() ? "it goes through a symlink, which is never followed" : e.getMessage()),
                    ExitCode.FILE_SELECT);
        }
        if (st == null) {
            return Source.failed("rsync: [sender] link_stat \"" + arg + "\" (in " + name + ") failed: No such file"
                    + " or directory (2)", ExitCode.PARTIAL);
        }
        // the module's own rules, by what the path is: a rule for directories ("secret/") excludes it as one
        if (!rel.isEmpty() && daemonRefuses.test(rel, st.isDirectory())) {
            return Source.failed("rsync: [sender] link_stat \"" + arg + "\" (in " + name + ") failed: the module"
                    + " excludes it", ExitCode.PARTIAL);
        }
        if (contents && !parts.isEmpty() && !st.isDirectory()) {
            return Source.failed("rsync: [sender] change_dir \"" + arg + "\" (in " + name + ") failed: "
                    + (st.isSymlink() ? "it is a symlink, which is never followed" : "Not a directory (20)"),
                    ExitCode.FILE_SELECT);
        }
        String last = parts.isEmpty() ? "" : parts.get(parts.size() - 1);
        String base = contents ? rel : String.join("/", parts.subList(0, Math.max(0, parts.size() - 1)));
        return new Source(rel, contents ? "" : last, st.isDirectory(), base, null, 0);
    }

    /** A name of the file list as a path below the module. */
    private static String moduleRel(String base, String wirePath) {
        String p = wirePath.equals(".") ? "" : wirePath;
        return base.isEmpty() ? (p.isEmpty() ? "." : p) : p.isEmpty() ? base : base + "/" + p;
    }

    /** The names in a directory of the module (confined as every read here). */
    private List<String> children(String rel) throws IOException {
        try (Dir module = Dir.open(moduleRoot); Dir d = rel.isEmpty() ? module.retain() : module.openPath(rel)) {
            return d.list();
        }
    }

    /**
     * A listed file, opened inside the module one component at a time, never through a symlink. Its directory
     * stays open for the next file: the list sends a directory's files one after another.
     */
    private FileChannel open(FileEntry file) throws IOException {
        String rel = moduleRel(singleBase != null ? singleBase : baseOf.get(file), file.path);
        int slash = rel.lastIndexOf('/');
        String parent = slash < 0 ? "" : rel.substring(0, slash);
        if (openDir == null || !parent.equals(openDirRel)) {
            closeOpenDir();
            try (Dir module = Dir.open(moduleRoot)) {
                openDir = parent.isEmpty() ? module.retain() : module.openPath(parent);
            }
            openDirRel = parent;
        }
        return openDir.openRead(slash < 0 ? rel : rel.substring(slash + 1));
    }

    private void closeOpenDir() {
        if (openDir != null) {
            openDir.close();
            openDir = null;
        }
    }

    private void warn(MultiplexWriter mux, String text) {
        log.accept(text + " (module " + request.module().name() + ")");
        try {
            mux.sendMessage(MessageCode.WARNING, (text + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException gone) {
            // the client is gone: the session ends at its next read
        }
    }
}
