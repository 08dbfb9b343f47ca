package io.camelrsync.daemon;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.filter.FilterRules;
import io.camelrsync.flist.ChmodRules;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListOrder;
import io.camelrsync.flist.FileListReader;
import io.camelrsync.flist.FileListReader.Entry;
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
import io.camelrsync.sender.SumHead;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * Every destination path stays inside the module: no component may be a symlink.
 */
public final class ReceiveSession {
    private static final int CF_SYMLINK_TIMES = 0x02;
    private static final int CF_SAFE_FLIST = 0x08;
    private static final int CF_AVOID_XATTR = 0x10;
    private static final int CF_SEED_FIX = 0x20;
    private static final int CF_INPLACE_PARTIAL = 0x40;
    private static final int CF_VARINT = 0x80;
    private static final int CF_ID0_NAMES = 0x100;
    private static final List<Integer> NO_MEMBERS = List.of();
    private static final List<String> COMPRESSIONS = List.of("zlibx", "zlib", "none");

    private final ModuleRequest request;
    private final ClientArgs args;
    private final Path moduleRoot;
    private final Consumer<String> log;
    private final long timeoutMillis;
    private final boolean dryRun;
    private final ReceiveStats stats = new ReceiveStats();

    private DestinationTree tree;
    private Entry[] sorted;
    private int[] firstOfGroup;
    private Map<Integer, List<Integer>> linkMembers = Map.of();
    private final Finishers finishing = new Finishers();
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private ChecksumAlgorithm algorithm;
    private ChecksumAlgorithm fileSumAlgorithm;
    private TokenSource tokenSource;
    private int seed;
    private boolean seedFirst;
    private FilterRules filters = FilterRules.empty();
    private FilterRules daemonFilters = FilterRules.empty();

    /** A transfer we asked for: the sums we sent and the old copy they describe. */
    private record Pending(SumHead head, Path basis) {
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
        MultiplexReader demux = new MultiplexReader(in, (code, text) -> log.accept("client: " + text.strip()),
                timeoutMillis);
        demux.start("rsyncd-demux");
        WireInput data = new WireInput(demux.data());

        try {
            return transfer(mux, data, demux, protocol, compat, refusal);
        } catch (RsyncException e) {
            tellClient(mux, protocol, e); // a client that only saw the connection close could not say why
            throw e;
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
        Path destination;
        try {
            destination = destination(mux);
        } catch (RsyncException e) {
            refuse(mux, protocol, e.getMessage(), e.exitCode());
            return stats;
        }
        try {
            daemonFilters = daemonFilters(module);
            tree = new DestinationTree(destination, new DestinationTree.Policy(args.perms(), args.times(),
                    args.owner(), args.group(), args.fsync(), module.mungeSymlinks().orElse(false),
                    ChmodRules.parse(module.incomingChmod()), ModuleIdentity.of(module)));
        } catch (IOException | IllegalArgumentException e) {
            refuse(mux, protocol, "ERROR: module " + module.name() + " is misconfigured: " + e.getMessage(),
                    ExitCode.FILE_SELECT);
            return stats;
        }
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
        FileListReader.Received list = new FileListReader(fo).read(data, args.numericIds());
        tree.names(list.userNames(), list.groupNames());
        sortAndCheck(list.entries());
        stats.files = sorted.length;

        WireOutput out = new WireOutput(mux);
        CompletableFuture<List<Integer>> phase0 = new CompletableFuture<>();
        CompletableFuture<Void> received = new CompletableFuture<>();
        boolean deleting = args.delete() && list.ioError() == 0; // a sender that could not read everything
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

    /** Module path plus the path below the module the client named, which must stay inside. */
    private Path destination(MultiplexWriter mux) throws IOException {
        Path base = moduleRoot.toAbsolutePath().normalize();
        String first = args.paths().isEmpty() ? request.module().name() : args.paths().get(0);
        int slash = first.indexOf('/');
        String sub = slash < 0 ? "" : first.substring(slash + 1);
        Path d = base;
        for (String part : sub.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new RsyncException(ExitCode.UNSUPPORTED, "ERROR: the destination leaves the module: " + first);
            }
            d = d.resolve(part);
            if (Files.isSymbolicLink(d)) { // never followed: it could lead out of the module
                throw new RsyncException(ExitCode.FILE_SELECT, "ERROR: destination " + first
                        + " goes through a symlink, which is never followed");
            }
        }
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.isDirectory(d.getParent(), LinkOption.NOFOLLOW_LINKS) && !d.equals(base)) {
                if (!dryRun) {
                    Files.createDirectory(d);
                }
                // rsync names it as its (chrooted) process sees it
                String name = (request.module().useChroot().orElse(true) ? "/" : "") + base.relativize(d);
                mux.sendMessage(MessageCode.INFO, ("created directory " + name + "\n").getBytes(StandardCharsets.UTF_8));
            } else {
                throw new RsyncException(ExitCode.FILE_SELECT, "ERROR: destination " + first + " is not a directory");
            }
        }
        return d;
    }

    private void sortAndCheck(List<Entry> received) throws RsyncException {
        Integer[] order = new Integer[received.size()];
        byte[][] names = new byte[received.size()][];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            names[i] = received.get(i).path().getBytes(StandardCharsets.UTF_8);
        }
        Arrays.sort(order, (x, y) -> FileListOrder.compare(names[x], received.get(x).isDirectory(), names[y],
                received.get(y).isDirectory()));
        sorted = new Entry[order.length];
        int[] sortedPos = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            sorted[i] = received.get(order[i]);
            sortedPos[order[i]] = i;
        }
        firstOfGroup = new int[sorted.length];
        Map<Integer, List<Integer>> members = new HashMap<>();
        Set<String> dirs = new HashSet<>();
        for (int i = 0; i < sorted.length; i++) {
            Entry e = sorted[i];
            firstOfGroup[i] = e.hardLinkFirst() < 0 ? -1 : sortedPos[e.hardLinkFirst()];
            if (firstOfGroup[i] >= 0) {
                members.computeIfAbsent(firstOfGroup[i], k -> new ArrayList<>()).add(i);
            }
            if (i > 0 && sorted[i - 1].path().equals(e.path())) {
                throw RsyncException.protocol("duplicate entry in the file list: " + e.path());
            }
            int slash = e.path().lastIndexOf('/');
            if (slash > 0 && !dirs.contains(e.path().substring(0, slash))) {
                throw RsyncException.protocol("the parent of " + e.path() + " is not a directory in the file list");
            }
            if (e.isDirectory()) {
                dirs.add(e.path());
            }
        }
        linkMembers = members;
    }

    // ---------------------------------------------------------------- generator

    private void generate(WireOutput out, MultiplexWriter mux, int protocol, boolean deleting,
                          CompletableFuture<List<Integer>> phase0, CompletableFuture<Void> received)
            throws IOException {
        Map<String, Set<String>> children = new HashMap<>();
        for (Entry e : sorted) {
            int slash = e.path().lastIndexOf('/');
            String parent = slash < 0 ? (e.path().equals(".") ? null : ".") : e.path().substring(0, slash);
            if (parent != null) {
                children.computeIfAbsent(parent, k -> new HashSet<>()).add(e.path().substring(slash + 1));
            }
        }
        List<Integer> dirsToTouch = new ArrayList<>();
        for (int i = 0; i < sorted.length; i++) {
            Entry e = sorted[i];
            int type = e.mode() & FileEntry.S_IFMT;
            if (daemonRefuses(e.path(), type == FileEntry.S_IFDIR)) {
                if (!daemonRefuses(parentOf(e.path()), true)) { // once per refused tree, as rsync skips the rest
                    xferError(mux, "ERROR: daemon refused to receive " + (type == FileEntry.S_IFDIR ? "directory"
                            : "file") + " \"" + e.path() + "\"" + (type == FileEntry.S_IFDIR
                            ? "\n*** Skipping any contents from this failed directory ***" : ""));
                }
                continue;
            }
            Path dst = tree.resolve(e.path());
            if (dryRun) {
                if (type == FileEntry.S_IFREG && firstOfGroup[i] < 0) {
                    requestIfChanged(out, i, e, dst);
                } else if (type != FileEntry.S_IFREG && DestinationTree.attrsOrNull(dst) == null) {
                    itemizeNew(out, i);
                } else if (type == FileEntry.S_IFDIR && deleting && e.isContentDir()) {
                    deleteExtraneous(mux, dst, e.path(), children.getOrDefault(e.path(), Set.of()));
                }
                continue;
            }
            try {
                if (type == FileEntry.S_IFDIR) {
                    if (tree.makeDirectory(dst) && i > 0) {
                        itemizeNew(out, i);
                    } else if (i == 0 && args.times() && Files.getLastModifiedTime(dst, LinkOption.NOFOLLOW_LINKS)
                            .toInstant().getEpochSecond() != e.mtime()) {
                        out.writeNdx(i); // "./": the top directory's time is about to change
                        out.writeShortInt(ItemFlags.REPORT_TIME);
                    }
                    dirsToTouch.add(i);
                    if (deleting && e.isContentDir()) {
                        deleteExtraneous(mux, dst, e.path(), children.getOrDefault(e.path(), Set.of()));
                    }
                } else if (type == FileEntry.S_IFLNK) {
                    if (args.links() && tree.makeSymlink(dst, e)) {
                        itemizeNew(out, i);
                    }
                } else if (type == FileEntry.S_IFREG) {
                    if (firstOfGroup[i] < 0) { // other members are linked once the first is in place
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
            } catch (IOException failed) {
                xferError(mux, "rsync: [generator] failed to create \"" + e.path() + "\" in module "
                        + request.module().name() + ": " + failed.getMessage());
            }
        }
        out.writeNdx(Ndx.DONE);
        out.flush();
        List<Integer> redo = phase0.join();
        for (int ndx : redo) {
            Entry e = sorted[ndx];
            Path dst = tree.resolve(e.path());
            Path basis = Files.isRegularFile(dst, LinkOption.NOFOLLOW_LINKS) ? dst : null;
            request(out, ndx, ItemFlags.TRANSFER, BasisSums.head(basis == null ? 0 : Files.size(basis), true,
                    algorithm.digestLength()), basis);
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
            Entry e = sorted[dirsToTouch.get(k)];
            tree.applyAttributes(tree.resolve(e.path()), e);
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
    private void requestIfChanged(WireOutput out, int ndx, Entry e, Path dst) throws IOException {
        DestinationTree.Stat a = DestinationTree.Stat.of(dst);
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
            DestinationTree.deleteTree(dst);
            a = null;
        }
        int iflags = ItemFlags.TRANSFER | (a == null ? ItemFlags.IS_NEW : ItemFlags.REPORT_SIZE
                | ItemFlags.REPORT_TIME);
        if (args.checksum()) {
            iflags |= ItemFlags.REPORT_CHANGE;
        }
        if (dryRun) {
            pending.put(ndx, new Pending(null, null)); // rsync's !do_xfers: the index and flags only
            out.writeNdx(ndx);
            out.writeShortInt(iflags);
            return;
        }
        Path basis = a == null ? null : dst;
        SumHead head = basis == null ? new SumHead(0, 0, 0, 0)
                : BasisSums.head(a.size(), false, algorithm.digestLength());
        request(out, ndx, iflags, head, basis);
    }

    private boolean unchanged(Path dst, Entry e, long mtime) throws IOException {
        if (args.checksum()) {
            return e.checksum() != null && MessageDigest.isEqual(e.checksum(), fileChecksum(dst));
        }
        return args.sizeOnly() || mtime == e.mtime();
    }

    /** checksum.c file_checksum: the whole file through the file-list checksum, unseeded. */
    private byte[] fileChecksum(Path p) throws IOException {
        ChecksumAlgorithm.FileDigest d = fileSumAlgorithm.fileDigest();
        byte[] buf = new byte[256 * 1024];
        try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        }
        return d.digest();
    }

    private void request(WireOutput out, int ndx, int iflags, SumHead head, Path basis) throws IOException {
        pending.put(ndx, new Pending(head, basis));
        out.writeNdx(ndx);
        out.writeShortInt(iflags);
        if (basis == null) {
            head.write(out);
        } else {
            try (FileChannel ch = FileChannel.open(basis, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                BasisSums.write(out, head, ch, () -> algorithm.blockSummer(seed, seedFirst));
            }
        }
    }

    private void deleteExtraneous(MultiplexWriter mux, Path dir, String rel, Set<String> keep) throws IOException {
        List<Path> extra = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (!keep.contains(p.getFileName().toString())) {
                    extra.add(p);
                }
            }
        }
        for (Path p : extra) {
            String name = p.getFileName().toString();
            String path = rel.equals(".") ? name : rel + "/" + name;
            boolean isDir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
            if (filters.isExcluded(path, isDir) || daemonRefuses(path, isDir)) {
                continue; // protected by the client's or the module's rules
            }
            deleteReported(mux, p, path);
        }
    }

    /**
     * Deletes a path and everything under it, reporting each entry as rsync does (contents first). In a dry run
     * only the report goes out. Entries the module's rules exclude stay, and so does their directory.
     */
    private boolean deleteReported(MultiplexWriter mux, Path p, String path) throws IOException {
        boolean isDir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
        boolean emptied = true;
        if (isDir) {
            List<Path> kids = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                ds.forEach(kids::add);
            }
            for (Path k : kids) {
                String kidPath = path + "/" + k.getFileName();
                if (daemonRefuses(kidPath, Files.isDirectory(k, LinkOption.NOFOLLOW_LINKS))) {
                    emptied = false;
                } else {
                    emptied &= deleteReported(mux, k, kidPath);
                }
            }
            if (!emptied) {
                log.accept("cannot delete non-empty directory: " + path);
                return false;
            }
        }
        boolean isLink = !isDir && Files.isSymbolicLink(p);
        boolean isFile = !isDir && !isLink && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
        if (!dryRun) {
            Files.deleteIfExists(p);
        }
        if (isDir) {
            stats.deletedDirs++;
        } else if (isLink) {
            stats.deletedSymlinks++;
        } else if (isFile) {
            stats.deletedFiles++;
        } else {
            stats.deletedOther++;
        }
        byte[] b = path.getBytes(StandardCharsets.UTF_8);
        mux.sendMessage(MessageCode.DELETED, isDir ? Arrays.copyOf(b, b.length + 1) : b);
        return true;
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
            if (ndx < 0 || ndx >= sorted.length) {
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
            Entry e = sorted[ndx];
            Path dst = tree.resolve(e.path());
            FileSink sink = new FileSink(tree, dst, e.size(), args.fsync());
            TokenReceiver.Result r;
            try (FileChannel basis = p.basis() == null ? null
                    : FileChannel.open(p.basis(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                r = receiver.receive(in, tokenSource, p.head(), basis, sink);
            } catch (IOException | RuntimeException ex) {
                sink.discard();
                throw ex;
            }
            if (!r.verified()) {
                sink.discard();
                if (phase == 0) {
                    redo.add(ndx);
                } else {
                    stats.errors++;
                    log.accept("ERROR: " + e.path() + " failed verification -- update discarded.");
                }
                continue;
            }
            stats.transferredFiles++;
            stats.literalBytes += r.literal();
            stats.matchedBytes += r.matched();
            finishing.finish(sink, () -> {
                tree.commit(sink.finish(), dst, e);
                linkGroup(ndx, dst);
            });
        }
        finishing.awaitAll(timeoutMillis);
        if (protocol >= 31 && in.readNdx() != Ndx.DONE) {
            throw RsyncException.protocol("Invalid packet at end of run [receiver]");
        }
    }

    /** Makes the other members of a hard-link group links to its first member. */
    private void linkGroup(int first, Path firstPath) throws IOException {
        if (!args.hardLinks()) {
            return;
        }
        for (int member : linkMembers.getOrDefault(first, NO_MEMBERS)) {
            tree.hardLink(tree.resolve(sorted[member].path()), firstPath);
        }
    }
}
