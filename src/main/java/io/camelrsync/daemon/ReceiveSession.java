package io.camelrsync.daemon;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.filter.FilterRules;
import io.camelrsync.flist.ChmodRules;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListReader.Entry;
import io.camelrsync.flist.FileListReader;
import io.camelrsync.fs.Dir;
import io.camelrsync.fs.FsException;
import io.camelrsync.fs.NativeFile;
import io.camelrsync.fs.Stat;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.ItemFlags;
import io.camelrsync.protocol.Limits;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.protocol.MultiplexReader;
import io.camelrsync.protocol.MultiplexWriter;
import io.camelrsync.protocol.Ndx;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.receiver.BasisSums;
import io.camelrsync.receiver.DeflatedTokens;
import io.camelrsync.receiver.TokenReceiver;
import io.camelrsync.receiver.TokenSource;
import io.camelrsync.receiver.UnsafeSymlink;
import io.camelrsync.sender.SumHead;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The receiving half of a push into the daemon: protocol setup (declining incremental recursion), the
 * client's filter and file lists, then a generator thread that requests what changed (with block sums of the
 * old copy) while this thread rebuilds each file into a temporary name beside it and renames it into place.
 * Every write goes through the {@link DestinationTree}'s directory descriptors, so nothing reaches outside the
 * module; when the session ends for any reason its generator stops and its temp files are removed.
 */
public final class ReceiveSession {
    private static final int CF_SYMLINK_TIMES = 0x02;
    private static final int CF_SAFE_FLIST = 0x08;
    private static final int CF_AVOID_XATTR = 0x10;
    private static final int CF_SEED_FIX = 0x20;
    private static final int CF_INPLACE_PARTIAL = 0x40;
    private static final int CF_VARINT = 0x80;
    private static final int CF_ID0_NAMES = 0x100;
    private static final List<String> COMPRESSIONS = List.of("zlibx", "zlib", "none");

    private final ModuleRequest request;
    private final ClientArgs args;
    private final Path moduleRoot;
    private final Consumer<String> log;
    private final long timeoutMillis;
    private final boolean dryRun;
    private final ReceiveStats stats = new ReceiveStats();

    private DestinationTree tree;
    private MultiplexWriter mux;
    /** Set when the session ends: the generator stops at its next entry. */
    private volatile boolean ended;
    private boolean safeLinks;
    private ReceivedList list;
    private Deletions deletions;
    private final Finishers finishing = new Finishers();
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private ChecksumAlgorithm algorithm;
    private ChecksumAlgorithm fileSumAlgorithm;
    private TokenSource tokenSource;
    private int seed;
    private boolean seedFirst;
    private FilterRules filters = FilterRules.empty();
    private FilterRules daemonFilters = FilterRules.empty();

    /** A transfer we asked for: the sums we sent, and whether they describe an old copy to rebuild from. */
    private record Pending(SumHead head, boolean hasBasis) {
    }

    public ReceiveSession(ModuleRequest request, ClientArgs args, Path moduleRoot, Consumer<String> log,
                          long timeoutMillis) {
        this.request = request;
        this.args = args;
        this.moduleRoot = moduleRoot;
        this.log = log;
        this.timeoutMillis = timeoutMillis;
        this.dryRun = args.dryRun();
    }

    public ReceiveStats run(InputStream in, OutputStream socketOut) throws IOException {
        int protocol = request.protocol();
        OutputStream rawOut = new BufferedOutputStream(socketOut, 64 * 1024);
        WireOutput plain = new WireOutput(rawOut);
        int compat = CF_SYMLINK_TIMES;
        compat |= args.capability('f') ? CF_SAFE_FLIST : 0;
        compat |= args.capability('x') ? CF_AVOID_XATTR : 0;
        compat |= args.capability('C') ? CF_SEED_FIX : 0;
        compat |= args.capability('I') ? CF_INPLACE_PARTIAL : 0;
        compat |= args.capability('v') ? CF_VARINT : 0;
        compat |= args.capability('u') ? CF_ID0_NAMES : 0;
        plain.writeVarint(compat); // never CF_INC_RECURSE: we take the whole list first
        String refusal = args.refusal();
        algorithm = ChecksumAlgorithm.MD5;
        ChecksumAlgorithm fileSum = null;
        if (args.checksumChoice() != null) {
            String[] names = args.checksumChoice().split(",", 2);
            algorithm = checksumNamed(names[0]);
            fileSum = names.length > 1 ? checksumNamed(names[1]) : algorithm;
            if (algorithm == null || fileSum == null) {
                refusal = refusal != null ? refusal : "rsync: on remote machine: unknown checksum name in "
                        + "--checksum-choice=" + args.checksumChoice() + " (this daemon has " + checksumList() + ")";
                algorithm = ChecksumAlgorithm.MD5;
                fileSum = algorithm;
            }
        }
        boolean negotiated = (compat & CF_VARINT) != 0;
        String compression = !args.compress() ? "none" : args.compressChoice() != null ? args.compressChoice()
                : negotiated ? null : "zlib";
        if (negotiated) {
            // rsync sends every list before reading the peer's, so neither side waits on the other
            if (args.checksumChoice() == null) {
                plain.writeVstring(checksumList() + " none");
            }
            if (compression == null) {
                plain.writeVstring(String.join(" ", COMPRESSIONS));
            }
            plain.flush();
            WireInput setup = new WireInput(in);
            if (args.checksumChoice() == null) {
                List<String> theirs = words(setup.readVstring(Limits.MAX_NSTR));
                algorithm = Arrays.stream(ChecksumAlgorithm.values()).filter(a -> theirs.contains(a.wireName()))
                        .findFirst().orElseThrow(() -> RsyncException.protocol("no common checksum with the client: "
                                + theirs));
            }
            if (compression == null) {
                List<String> theirs = words(setup.readVstring(Limits.MAX_NSTR));
                compression = COMPRESSIONS.stream().filter(theirs::contains).findFirst().orElseThrow(() ->
                        RsyncException.protocol("no common compression with the client: " + theirs));
            }
        }
        fileSumAlgorithm = fileSum == null ? algorithm : fileSum;
        tokenSource = switch (compression) {
            case "zlib" -> new DeflatedTokens(true, protocol);
            case "zlibx" -> new DeflatedTokens(false, protocol);
            default -> TokenSource.plain();
        };
        seed = new SecureRandom().nextInt() & 0x7fffffff;
        seedFirst = (compat & CF_SEED_FIX) != 0;
        plain.writeInt(seed);
        plain.flush();

        MultiplexWriter mux = new MultiplexWriter(rawOut);
        this.mux = mux;
        MultiplexReader demux = new MultiplexReader(in, (code, text) -> log.accept("client: " + text.strip()),
                timeoutMillis);
        demux.start("rsyncd-demux");
        WireInput data = new WireInput(demux.data());

        try {
            return transfer(mux, data, demux, protocol, compat, refusal);
        } catch (RsyncException e) {
            tellClient(mux, protocol, e); // a client that only saw the connection close could not say why
            throw e;
        } finally {
            demux.abort(new IOException("the session has ended"));
        }
    }

    private ReceiveStats transfer(MultiplexWriter mux, WireInput data, MultiplexReader demux, int protocol,
                                  int compat, String refusal) throws IOException {
        ModuleConf module = request.module();
        if (refusal == null) {
            refusal = RefusedOptions.check(module.refuseOptions(), args.used());
        }
        if (refusal != null) {
            refuse(mux, protocol, refusal, ExitCode.UNSUPPORTED);
            return stats;
        }
        if (request.readOnly()) {
            refuse(mux, protocol, "ERROR: module is read only", ExitCode.SYNTAX);
            return stats;
        }
        if (args.sender()) {
            refuse(mux, protocol, "ERROR: this daemon only receives: pulling files from it is not supported",
                    ExitCode.UNSUPPORTED);
            return stats;
        }
        DestinationTree.Policy policy;
        SessionMemory memory;
        BackupPlan backupPlan;
        try {
            daemonFilters = daemonFilters(module);
            backupPlan = BackupPlan.of(args, destinationParts());
        } catch (RsyncException e) { // the destination leaves the module
            refuse(mux, protocol, e.getMessage(), e.exitCode());
            return stats;
        } catch (IOException | IllegalArgumentException e) {
            refuse(mux, protocol, "ERROR: module " + module.name() + " is misconfigured: " + e.getMessage(),
                    ExitCode.FILE_SELECT);
            return stats;
        } catch (BackupPlan.Rejected e) {
            refuse(mux, protocol, e.getMessage(), ExitCode.UNSUPPORTED); // option_error, as rsync_module exits
            return stats;
        }
        if (backupPlan != null && backupPlan.dir() != null && daemonRefuses(backupPlan.moduleRelativeDir(), true)) {
            // options.c: a --backup-dir the module's own rules exclude
            refuse(mux, protocol, "rsync: Your options have been rejected by the server.", ExitCode.UNSUPPORTED);
            return stats;
        }
        try {
            policy = new DestinationTree.Policy(args.perms(), args.times(), args.owner(), args.group(),
                    args.fsync(), module.mungeSymlinksOrDefault() || args.used().contains("munge-links"),
                    ChmodRules.parse(module.incomingChmod()), ModuleIdentity.of(module),
                    backupPlan != null && backupPlan.dir() == null);
            memory = new SessionMemory(module.name(), module.maxListEntries(), module.maxAlloc());
        } catch (IOException | IllegalArgumentException e) {
            refuse(mux, protocol, "ERROR: module " + module.name() + " is misconfigured: " + e.getMessage(),
                    ExitCode.FILE_SELECT);
            return stats;
        }
        safeLinks = args.used().contains("safe-links");
        Dir destination;
        Backups backups = null;
        try {
            Dir moduleDir = openModule();
            try {
                if (backupPlan != null && backupPlan.dir() != null) {
                    checkBackupDir(moduleDir, backupPlan);
                }
                destination = destination(mux, moduleDir);
                if (backupPlan != null && destination != null && !dryRun) {
                    backups = new Backups(backupPlan, moduleDir.retain(), destination, policy);
                }
            } finally {
                moduleDir.close();
            }
        } catch (RsyncException e) {
            refuse(mux, protocol, e.getMessage(), e.exitCode());
            return stats;
        }
        tree = new DestinationTree(destination, policy, backups);
        try (memory) {
            return receiveInto(mux, data, demux, protocol, compat, memory);
        } finally {
            tree.close();
        }
    }

    private ReceiveStats receiveInto(MultiplexWriter mux, WireInput data, MultiplexReader demux, int protocol,
                                     int compat, SessionMemory memory) throws IOException {
        if (args.delete() || args.used().contains("prune-empty-dirs")) { // recv_filter_list's receiver_wants_list
            for (int len; (len = data.readInt()) != 0; ) {
                if (len < 0 || len >= Limits.MAX_PATH) {
                    throw RsyncException.protocol("filter rule of " + len + " bytes");
                }
                String rule = new String(data.readBytes(len, Limits.MAX_PATH, "filter rule"), StandardCharsets.UTF_8);
                try {
                    filters = filters.withReceiverRule(rule);
                } catch (IllegalArgumentException e) {
                    refuse(mux, protocol, "ERROR: " + e.getMessage(), ExitCode.UNSUPPORTED);
                    return stats;
                }
            }
        }
        FileListReader.Options fo = new FileListReader.Options(protocol, (compat & CF_VARINT) != 0, args.owner(),
                args.group(), args.devices(), args.specials(), args.links(), args.hardLinks(),
                (compat & CF_ID0_NAMES) != 0, args.checksum() ? fileSumAlgorithm.digestLength() : 0);
        FileListReader.Received incoming = new FileListReader(fo).read(data, args.numericIds(), memory);
        tree.names(incoming.userNames(), incoming.groupNames());
        list = ReceivedList.of(incoming.entries());
        stats.files = list.size();
        deletions = new Deletions(tree, filters, this::daemonRefuses, mux, stats, log, dryRun);
        FilterRules clientRules = filters;
        tree.protect((path, dir) -> clientRules.isExcluded(path, dir) || daemonRefuses(path, dir));

        WireOutput out = new WireOutput(mux);
        CompletableFuture<List<Integer>> phase0 = new CompletableFuture<>();
        CompletableFuture<Void> received = new CompletableFuture<>();
        boolean deleting = args.delete() && incoming.ioError() == 0; // a sender that could not read everything
        // a thread of its own, like rsync's generator process: it blocks on the client, so no shared pool
        CompletableFuture<Void> generator = new CompletableFuture<>();
        Thread gen = new Thread(() -> {
            try {
                generate(out, mux, protocol, deleting, phase0, received);
                generator.complete(null);
            } catch (IOException e) {
                generator.completeExceptionally(new java.io.UncheckedIOException(e));
                demux.abort(e); // the receiver must not wait for data that will never be asked for
            } catch (RuntimeException | Error e) {
                generator.completeExceptionally(e);
                demux.abort(new IOException("the generator failed", e));
            }
        }, "rsyncd-generator");
        gen.setDaemon(true);
        gen.start();
        try {
            return await(data, protocol, phase0, received, generator);
        } finally {
            ended = true; // whatever ended the session: the generator stops at its next step
            gen.interrupt();
            finishing.cancel();
            try {
                gen.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private ReceiveStats await(WireInput data, int protocol, CompletableFuture<List<Integer>> phase0,
                               CompletableFuture<Void> received, CompletableFuture<Void> generator)
            throws IOException {
        try {
            try {
                receive(data, protocol, phase0);
            } catch (IOException e) {
                if (generator.isCompletedExceptionally()) {
                    generator.get(); // the generator's failure is the cause; report that one
                }
                throw e;
            }
            received.complete(null);
            generator.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause()
                    : new IOException("generator failed", e.getCause());
        } catch (TimeoutException e) {
            throw new RsyncException(ExitCode.TIMEOUT, "the generator did not finish in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
        } finally {
            received.complete(null);
            phase0.complete(List.of());
        }
        return stats;
    }

    private void tellClient(MultiplexWriter mux, int protocol, RsyncException e) {
        try {
            mux.sendMessage(MessageCode.ERROR, ("rsync: [receiver] " + e.getMessage() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            if (protocol >= 31) {
                mux.sendInt(MessageCode.ERROR_EXIT, e.exitCode());
            }
            mux.flush();
        } catch (IOException | RuntimeException gone) {
            // the client is gone; the log has the reason
        }
    }

    private void refuse(MultiplexWriter mux, int protocol, String text, int code) throws IOException {
        log.accept(text + " (module " + request.module().name() + ")");
        mux.sendMessage(MessageCode.ERROR, (text + "\n").getBytes(StandardCharsets.UTF_8));
        if (protocol >= 31) {
            mux.sendInt(MessageCode.ERROR_EXIT, code);
        }
        mux.flush();
    }

    private static ChecksumAlgorithm checksumNamed(String name) {
        return Arrays.stream(ChecksumAlgorithm.values()).filter(a -> a.wireName().equals(name.strip()))
                .findFirst().orElse(null);
    }

    private static String checksumList() {
        StringBuilder ours = new StringBuilder();
        for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
            ours.append(ours.length() == 0 ? "" : " ").append(a.wireName());
        }
        return ours.toString();
    }

    private static List<String> words(String s) {
        return Arrays.asList(s.trim().split("\\s+"));
    }

    /** The module's own rules (clientserver.c: filter, include from, include, exclude from, exclude). */
    private static FilterRules daemonFilters(ModuleConf module) throws IOException {
        FilterRules rules = FilterRules.empty().withDaemonWords(module.filter(), "filter");
        String includeFrom = module.string("include from", null);
        if (includeFrom != null && !includeFrom.isBlank()) {
            rules = rules.withIncludeFrom(Path.of(includeFrom.strip()));
        }
        rules = rules.withDaemonWords(module.string("include", null), "include");
        String excludeFrom = module.string("exclude from", null);
        if (excludeFrom != null && !excludeFrom.isBlank()) {
            rules = rules.withExcludeFrom(Path.of(excludeFrom.strip()));
        }
        return rules.withDaemonWords(module.exclude(), "exclude");
    }

    /** Whether the module's rules exclude the path or one of its parent directories (rsync's DIR2WILD3). */
    private boolean daemonRefuses(String path, boolean isDir) {
        if (daemonFilters.isEmpty() || path.equals(".")) {
            return false;
        }
        if (daemonFilters.isExcluded(path, isDir)) {
            return true;
        }
        for (int slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
            if (daemonFilters.isExcluded(path.substring(0, slash), true)) {
                return true;
            }
        }
        return false;
    }

    /** The destination's components below the module's path, as the client named them ("module/sub/dir"). */
    private List<String> destinationParts() throws RsyncException {
        String first = args.paths().isEmpty() ? request.module().name() : args.paths().get(0);
        int slash = first.indexOf('/');
        List<String> parts = new ArrayList<>();
        for (String part : (slash < 0 ? "" : first.substring(slash + 1)).split("/")) {
            if (part.equals("..")) {
                throw new RsyncException(ExitCode.UNSUPPORTED, "ERROR: the destination leaves the module: " + first);
            }
            if (!part.isEmpty() && !part.equals(".")) {
                parts.add(part);
            }
        }
        return parts;
    }

    private Dir openModule() throws IOException {
        try {
            return Dir.open(moduleRoot);
        } catch (FsException e) {
            throw new RsyncException(ExitCode.FILE_SELECT, "ERROR: module " + request.module().name()
                    + " has no usable path: " + e.getMessage());
        }
    }

    /**
     * main.c do_recv: an existing backup dir must be a directory (exit 1). Ours is reached from the module's
     * root without following a symlink, so one on its path is refused here rather than followed; one created
     * later makes that backup fail.
     */
    private static void checkBackupDir(Dir module, BackupPlan plan) throws IOException {
        Dir d = module.retain();
        try {
            String walked = "";
            for (String part : plan.dir()) {
                walked = walked.isEmpty() ? part : walked + "/" + part;
                Stat st = d.stat(part);
                if (st == null) {
                    return; // made on first use
                }
                if (st.isSymlink()) {
                    throw new RsyncException(ExitCode.SYNTAX, "ERROR: the backup-dir " + plan.shown() + " goes"
                            + " through a symlink (" + walked + "), which is never followed");
                }
                if (!st.isDirectory()) {
                    throw new RsyncException(ExitCode.SYNTAX, "The backup-dir is not a directory: " + plan.shown());
                }
                Dir next = d.openDir(part); // on failure d is still ours, and closed below
                d.close();
                d = next;
            }
        } finally {
            d.close();
        }
    }

    /**
     * The module's directory plus the path below it the client named, opened one component at a time without
     * following a symlink; the last component is created when missing, as rsync creates its destination.
     */
    private Dir destination(MultiplexWriter mux, Dir module) throws IOException {
        String first = args.paths().isEmpty() ? request.module().name() : args.paths().get(0);
        List<String> parts = destinationParts();
        Dir d = module.retain();
        try {
            for (int i = 0; i < parts.size(); i++) {
                String part = parts.get(i);
                Stat st = d.stat(part);
                if (st == null && i == parts.size() - 1) {
                    if (!dryRun) {
                        d.mkdir(part, 0777);
                    }
                    // rsync names it as its (chrooted) process sees it, in a dry run too
                    String name = (request.module().useChroot().orElse(true) ? "/" : "") + String.join("/", parts);
                    mux.sendMessage(MessageCode.INFO, ("created directory " + name + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                    if (dryRun) {
                        d.close();
                        return null;
                    }
                } else if (st != null && st.isSymlink()) { // never followed: it could lead out of the module
                    throw new RsyncException(ExitCode.FILE_SELECT, "ERROR: destination " + first
                            + " goes through a symlink, which is never followed");
                } else if (st == null || !st.isDirectory()) {
                    throw new RsyncException(ExitCode.FILE_SELECT, "ERROR: destination " + first
                            + " is not a directory");
                }
                Dir next;
                try {
                    next = d.openDir(part);
                } catch (FsException e) { // d is still ours: closed below
                    throw new RsyncException(ExitCode.FILE_SELECT, "ERROR: destination " + first
                            + (e.notConfinable() ? " goes through a symlink, which is never followed"
                            : " cannot be opened: " + e.getMessage()));
                }
                d.close();
                d = next;
            }
            return d;
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- generator

    private void generate(WireOutput out, MultiplexWriter mux, int protocol, boolean deleting,
                          CompletableFuture<List<Integer>> phase0, CompletableFuture<Void> received)
            throws IOException {
        Map<String, Set<String>> children = new HashMap<>();
        for (Entry e : list.sorted) {
            int slash = e.path().lastIndexOf('/');
            String parent = slash < 0 ? (e.path().equals(".") ? null : ".") : e.path().substring(0, slash);
            if (parent != null) {
                children.computeIfAbsent(parent, k -> new HashSet<>()).add(e.path().substring(slash + 1));
            }
        }
        List<Integer> dirsToTouch = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (ended) {
                throw new java.io.InterruptedIOException("the session has ended");
            }
            Entry e = list.sorted[i];
            int type = e.mode() & FileEntry.S_IFMT;
            if (daemonRefuses(e.path(), type == FileEntry.S_IFDIR)) {
                if (!daemonRefuses(parentOf(e.path()), true)) { // once per refused tree, as rsync skips the rest
                    xferError(mux, "ERROR: daemon refused to receive " + (type == FileEntry.S_IFDIR ? "directory"
                            : "file") + " \"" + e.path() + "\"" + (type == FileEntry.S_IFDIR
                            ? "\n*** Skipping any contents from this failed directory ***" : ""));
                }
                continue;
            }
            if (type == FileEntry.S_IFLNK && safeLinks && UnsafeSymlink.isUnsafe(
                    new String(e.linkTarget(), StandardCharsets.UTF_8), e.path())) {
                String text = "ignoring unsafe symlink \"" + e.path() + "\" -> \""
                        + new String(e.linkTarget(), StandardCharsets.UTF_8) + "\"";
                log.accept(text + " (module " + request.module().name() + ")");
                mux.sendMessage(MessageCode.INFO, (text + "\n").getBytes(StandardCharsets.UTF_8));
                continue;
            }
            try (DestinationTree.Node dst = tree.locate(e.path(), dryRun)) {
                if (dryRun) {
                    if (type == FileEntry.S_IFREG && !list.isLaterLink(i)) {
                        requestIfChanged(out, i, e, dst);
                    } else if (type != FileEntry.S_IFREG && dst.stat() == null) {
                        itemizeNew(out, i);
                    } else if (type == FileEntry.S_IFDIR && deleting && e.isContentDir()) {
                        deletions.extraneous(dst, children.getOrDefault(e.path(), Set.of()));
                    }
                    continue;
                }
                if (type == FileEntry.S_IFDIR) {
                    if (tree.makeDirectory(dst) && i > 0) {
                        itemizeNew(out, i);
                    } else if (i == 0 && args.times() && !tree.omitsDirTimes()
                            && dst.stat().mtimeSeconds() != e.mtime()) {
                        out.writeNdx(i); // "./": the top directory's time is about to change
                        out.writeShortInt(ItemFlags.REPORT_TIME);
                    }
                    dirsToTouch.add(i);
                    if (deleting && e.isContentDir()) {
                        deletions.extraneous(dst, children.getOrDefault(e.path(), Set.of()));
                    }
                } else if (type == FileEntry.S_IFLNK) {
                    if (args.links() && tree.makeSymlink(dst, e)) {
                        itemizeNew(out, i);
                    }
                } else if (type == FileEntry.S_IFREG) {
                    if (!list.isLaterLink(i)) { // other members are linked once the first is in place
                        requestIfChanged(out, i, e, dst);
                    }
                } else if (type == FileEntry.S_IFCHR || type == FileEntry.S_IFBLK) {
                    if (!tree.canMakeDevices()) {
                        xferError(mux, "skipping device \"" + e.path() + "\": only a module running as root "
                                + "can create devices");
                    } else if (tree.makeSpecial(dst, e)) {
                        itemizeNew(out, i);
                    }
                } else if (tree.makeSpecial(dst, e)) {
                    itemizeNew(out, i);
                }
            } catch (RsyncException fatal) {
                throw fatal;
            } catch (java.io.InterruptedIOException stop) {
                throw stop;
            } catch (IOException failed) {
                // one path's failure (a component replaced by a symlink meanwhile, a full disk) is that path's
                xferError(mux, "rsync: [generator] failed to create \"" + e.path() + "\" in module "
                        + request.module().name() + ": " + failed.getMessage());
            }
        }
        out.writeNdx(Ndx.DONE);
        out.flush();
        List<Integer> redo = phase0.join();
        for (int ndx : redo) {
            Entry e = list.sorted[ndx];
            try (DestinationTree.Node dst = tree.locate(e.path(), false)) {
                Stat a = dst.stat();
                boolean basis = a != null && a.isRegular();
                request(out, ndx, ItemFlags.TRANSFER, BasisSums.head(basis ? a.size() : 0, true,
                        algorithm.digestLength()), basis ? dst : null);
            } catch (FsException unreachable) { // its directory went away meanwhile: this file's error
                xferError(mux, "rsync: [generator] cannot redo \"" + e.path() + "\": " + unreachable.getMessage());
            }
        }
        out.writeNdx(Ndx.DONE);
        out.writeNdx(Ndx.DONE);
        if (protocol >= 31) {
            if (args.delete()) {
                out.writeNdx(Ndx.DEL_STATS);
                out.writeVarint(stats.deletedFiles);
                out.writeVarint(stats.deletedDirs);
                out.writeVarint(stats.deletedSymlinks);
                out.writeVarint(0);
                out.writeVarint(stats.deletedOther);
            }
            out.writeNdx(Ndx.DONE);
        }
        out.flush();
        received.join();
        for (int k = dirsToTouch.size() - 1; k >= 0; k--) {
            Entry e = list.sorted[dirsToTouch.get(k)];
            try (DestinationTree.Node dst = tree.locate(e.path(), false)) {
                tree.applyAttributes(dst, e);
            } catch (FsException failed) {
                xferError(mux, "rsync: [generator] failed to set times on \"" + e.path() + "\": "
                        + failed.getMessage());
            }
        }
        out.writeNdx(Ndx.DONE);
        out.flush();
    }

    /** Tells the client what was created without a transfer (generator.c itemize), for its -v and -i output. */
    private static void itemizeNew(WireOutput out, int ndx) throws IOException {
        out.writeNdx(ndx);
        out.writeShortInt(ItemFlags.LOCAL_CHANGE | ItemFlags.IS_NEW);
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "." : path.substring(0, slash);
    }

    /** An error about one file: the client shows it and ends with exit code 23, the session goes on. */
    private void xferError(MultiplexWriter mux, String text) throws IOException {
        stats.errors++;
        log.accept(text + " (module " + request.module().name() + ")");
        mux.sendMessage(MessageCode.ERROR_XFER, (text + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** generator.c quick_check_ok plus the options that skip files (-u, --existing, --ignore-existing). */
    private void requestIfChanged(WireOutput out, int ndx, Entry e, DestinationTree.Node dst) throws IOException {
        Stat a = dst.stat();
        if (a == null ? args.existing() : args.ignoreExisting()) {
            return;
        }
        boolean regular = a != null && a.isRegular();
        long mtime = regular ? a.mtimeSeconds() : 0;
        if (regular && args.update() && mtime > e.mtime()) {
            return; // -u: the receiver's copy is newer
        }
        if (regular && !args.ignoreTimes() && a.size() == e.size() && unchanged(dst, e, mtime)) {
            if (!dryRun) {
                tree.applyAttributes(dst, e, a);
                linkGroup(ndx, dst);
            }
            return;
        }
        if (a != null && !regular && !dryRun) {
            tree.deleteTree(dst, a);
            a = null;
        }
        int iflags = ItemFlags.TRANSFER | (a == null ? ItemFlags.IS_NEW : ItemFlags.REPORT_SIZE
                | ItemFlags.REPORT_TIME);
        if (args.checksum()) {
            iflags |= ItemFlags.REPORT_CHANGE;
        }
        if (dryRun) {
            pending.put(ndx, new Pending(null, false)); // rsync's !do_xfers: the index and flags only
            out.writeNdx(ndx);
            out.writeShortInt(iflags);
            return;
        }
        SumHead head = a == null ? new SumHead(0, 0, 0, 0) : BasisSums.head(a.size(), false, algorithm.digestLength());
        request(out, ndx, iflags, head, a == null ? null : dst);
    }

    private boolean unchanged(DestinationTree.Node dst, Entry e, long mtime) throws IOException {
        if (args.checksum()) {
            return e.checksum() != null && MessageDigest.isEqual(e.checksum(), fileChecksum(dst));
        }
        return args.sizeOnly() || mtime == e.mtime();
    }

    /** checksum.c file_checksum: the whole file through the file-list checksum, unseeded. */
    private byte[] fileChecksum(DestinationTree.Node dst) throws IOException {
        ChecksumAlgorithm.FileDigest d = fileSumAlgorithm.fileDigest();
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(256 * 1024);
        try (NativeFile in = tree.openBasis(dst)) {
            while (in.read(buf.clear()) > 0) {
                d.update(buf.array(), 0, buf.position());
            }
        }
        return d.digest();
    }

    private void request(WireOutput out, int ndx, int iflags, SumHead head, DestinationTree.Node basis)
            throws IOException {
        if (basis == null) {
            pending.put(ndx, new Pending(head, false));
            out.writeNdx(ndx);
            out.writeShortInt(iflags);
            head.write(out);
            return;
        }
        try (NativeFile ch = tree.openBasis(basis)) { // before the index goes out: a failure is this file's
            pending.put(ndx, new Pending(head, true));
            out.writeNdx(ndx);
            out.writeShortInt(iflags);
            BasisSums.write(out, head, ch, () -> algorithm.blockSummer(seed, seedFirst));
        }
    }

    // ---------------------------------------------------------------- receiver

    private void receive(WireInput in, int protocol, CompletableFuture<List<Integer>> phase0) throws IOException {
        TokenReceiver receiver = new TokenReceiver(algorithm);
        List<Integer> redo = new ArrayList<>();
        int phase = 0;
        while (true) {
            int ndx = in.readNdx();
            if (ndx == Ndx.DONE) {
                phase++;
                if (phase == 1) {
                    phase0.complete(List.copyOf(redo));
                }
                if (phase > 2) {
                    break;
                }
                continue;
            }
            if (ndx < 0 || ndx >= list.size()) {
                throw RsyncException.protocol("Invalid file index: " + ndx + " [receiver]");
            }
            int iflags = in.readShortInt();
            if ((iflags & (ItemFlags.BASIS_TYPE_FOLLOWS | ItemFlags.XNAME_FOLLOWS)) != 0) {
                throw RsyncException.protocol("the client sent a basis type or name we never asked for");
            }
            if ((iflags & ItemFlags.TRANSFER) == 0) {
                continue;
            }
            Pending p = pending.remove(ndx);
            if (p == null) {
                throw RsyncException.protocol("the client sent file " + ndx + ", which we never requested");
            }
            if (dryRun) {
                continue; // a dry run echoes the index and flags only
            }
            SumHead echoed = SumHead.read(in, algorithm.digestLength());
            if (!echoed.equals(p.head())) {
                throw RsyncException.protocol("the client changed the block sums of file " + ndx);
            }
            receiveFile(in, receiver, ndx, p, phase, redo);
        }
        finishing.awaitAll(timeoutMillis);
        if (protocol >= 31 && in.readNdx() != Ndx.DONE) {
            throw RsyncException.protocol("Invalid packet at end of run [receiver]");
        }
    }

    /**
     * One file's tokens into a sink, then its attributes and the rename (on the finishers when it is small).
     * When its place cannot be reached any more (a directory replaced by a symlink meanwhile) or the basis is
     * gone, the data is still read off the wire, into nowhere, and the file is reported as failed.
     */
    private void receiveFile(WireInput in, TokenReceiver receiver, int ndx, Pending p, int phase, List<Integer> redo)
            throws IOException {
        Entry e = list.sorted[ndx];
        DestinationTree.Node dst;
        NativeFile basis = null;
        try {
            dst = tree.locate(e.path(), false);
            if (p.hasBasis()) {
                try {
                    basis = tree.openBasis(dst);
                } catch (IOException | RuntimeException ex) {
                    dst.close();
                    throw ex;
                }
            }
        } catch (RsyncException | java.io.InterruptedIOException fatal) {
            throw fatal;
        } catch (IOException unreachable) {
            receiver.receive(in, tokenSource, p.head(), null, java.io.OutputStream.nullOutputStream());
            xferError(mux, "rsync: [receiver] failed to write \"" + e.path() + "\" in module "
                    + request.module().name() + ": " + unreachable.getMessage());
            return;
        }
        FileSink sink = new FileSink(tree, dst, e.size());
        TokenReceiver.Result r;
        try (NativeFile b = basis) {
            r = receiver.receive(in, tokenSource, p.head(), b, sink);
        } catch (IOException | RuntimeException ex) {
            sink.discard();
            dst.close();
            throw ex;
        }
        if (!r.verified()) {
            sink.discard();
            dst.close();
            if (phase == 0) {
                redo.add(ndx);
            } else {
                // receiver.c: a second failure is the file's error, and the client exits with 23
                xferError(mux, "ERROR: " + e.path() + " failed verification -- update discarded.");
            }
            return;
        }
        stats.transferredFiles++;
        stats.literalBytes += r.literal();
        stats.matchedBytes += r.matched();
        finishing.finish(sink, () -> {
            try (dst) {
                tree.commit(sink.finish(), dst, e);
                linkGroup(ndx, dst);
            }
        });
    }

    /** Makes the other members of a hard-link group links to its first member. */
    private void linkGroup(int first, DestinationTree.Node firstNode) throws IOException {
        if (!args.hardLinks()) {
            return;
        }
        for (int member : list.membersOf(first)) {
            tree.hardLink(list.sorted[member].path(), firstNode);
        }
    }
}
