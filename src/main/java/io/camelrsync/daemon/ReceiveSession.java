package io.camelrsync.daemon;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.filter.FilterRules;
import io.camelrsync.flist.ChmodRules;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListReader.Entry;
import io.camelrsync.flist.FileListOrder;
import io.camelrsync.flist.FileListReader;
import io.camelrsync.flist.ScanResult;
import io.camelrsync.fs.Dir;
import io.camelrsync.fs.FsException;
import io.camelrsync.fs.NativeFile;
import io.camelrsync.fs.Stat;
import io.camelrsync.protocol.BandwidthLimit;
import io.camelrsync.protocol.CompatFlags;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.Negotiation;
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

    private final ModuleRequest request;
    private final ClientArgs args;
    private final Path moduleRoot;
    /** The checksums and compressor negotiated for the session. */
    private Negotiation.Result negotiated;
    /**
     * The receiving side of a pull by our own client ({@link #receivePull}): the client did the setup and sent
     * its filter rules, messages stay on this side, and the sender's statistics follow its last file.
     */
    private boolean pulling;
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
    /** --link-dest, --copy-dest or --compare-dest dirs, open; null without them. */
    private AltDests alts;
    /** generator.c fuzzy_basis: how many directories --fuzzy looks in (0: off). */
    private int fuzzyBasis;
    private final FuzzyLists fuzzy = new FuzzyLists();
    /** The destination was made for this push (main.c get_local_name's FLAG_DIR_CREATED on "."). */
    private boolean createdDestination;

    /** A transfer we asked for: the sums we sent, and the file they describe (null: none) to rebuild from. */
    private record Pending(SumHead head, Basis basis) {
    }

    /**
     * generator.c fnamecmp and fnamecmp_type: the file a transfer's block sums describe, which the receiver opens
     * again to rebuild from (receiver.c recv_files): the old copy (FNAMECMP_FNAME), the same path in alt dir
     * {@code type} (FNAMECMP_BASIS_DIR_LOW + j), or a file of the directory chosen by --fuzzy (FNAMECMP_FUZZY + i,
     * its name sent as the xname). {@code rel} is the path in {@code tree}.
     */
    private record Basis(int type, DestinationTree tree, String rel, String xname) {
        static final int FNAME = 0x80;
        static final int FUZZY = 0x83;

        /** The itemize flags that announce this basis to the client (it echoes them back). */
        int flags() {
            return type == FNAME ? 0 : ItemFlags.BASIS_TYPE_FOLLOWS | (type >= FUZZY ? ItemFlags.XNAME_FOLLOWS : 0);
        }

        NativeFile open() throws IOException {
            try (DestinationTree.Node n = tree.locate(rel, false)) {
                return tree.openBasis(n);
            }
        }
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

    /** What the session did so far: all of it once run returned, the part before the failure when it threw. */
    public ReceiveStats stats() {
        return stats;
    }

    /**
     * Receives what a daemon sends to our pulling client (main.c client_run's receiving half, do_recv): the
     * client logged in, wrote the arguments, read the compat flags, negotiated the checksum, read the seed, started
     * multiplexing both ways and sent its filter rules; from here it is the receiver a push into our daemon meets,
     * writing into the destination through the same confined tree.
     */
    public ReceiveStats receivePull(MultiplexWriter mux, MultiplexReader demux, int protocol, CompatFlags compat,
                                    Negotiation.Result negotiated, int checksumSeed, FilterRules rules)
            throws IOException {
        pulling = true;
        filters = rules; // what they exclude is protected from --delete here, as the sender leaves it out
        algorithm = negotiated.checksum();
        fileSumAlgorithm = negotiated.fileChecksum();
        this.negotiated = negotiated;
        tokenSource = TokenSource.of(negotiated.compression(), protocol);
        seed = checksumSeed;
        seedFirst = compat.seedFirst();
        this.mux = mux;
        return transfer(mux, new WireInput(demux.data()), demux, protocol, compat, args.refusal());
    }

    public ReceiveStats run(InputStream in, OutputStream socketOut) throws IOException {
        int protocol = request.protocol();
        // the client's --bwlimit paces what this side writes (what a pull sends), as rsync's server does
        OutputStream rawOut = new BufferedOutputStream(args.bwlimit() > 0 ? new BandwidthLimit(socketOut,
                args.bwlimit()) : socketOut, 64 * 1024);
        WireOutput plain = new WireOutput(rawOut);
        CompatFlags compat = CompatFlags.forCapabilities(args.capabilities());
        plain.writeVarint(compat.bits()); // never incremental recursion: we take the whole list first
        String refusal = args.refusal();
        Negotiation.Result negotiated = Negotiation.server(in, plain, compat, new Negotiation.Asked(
                args.checksumChoice(), args.compress(), args.compressChoice(), args.compressLevel()));
        refusal = refusal != null ? refusal : negotiated.refusal();
        algorithm = negotiated.checksum();
        fileSumAlgorithm = negotiated.fileChecksum();
        this.negotiated = negotiated;
        tokenSource = TokenSource.of(negotiated.compression(), protocol);
        seed = new SecureRandom().nextInt() & 0x7fffffff;
        seedFirst = compat.seedFirst();
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
                                  CompatFlags compat, String refusal) throws IOException {
        try (TokenSource decoder = tokenSource) { // its native memory goes with the session
            return transferWith(mux, data, demux, protocol, compat, refusal);
        }
    }

    private ReceiveStats transferWith(MultiplexWriter mux, WireInput data, MultiplexReader demux, int protocol,
                                      CompatFlags compat, String refusal) throws IOException {
        ModuleConf module = request.module();
        if (refusal == null) {
            refusal = RefusedOptions.check(module.refuseOptions(), args.used());
        }
        if (refusal != null) {
            refuse(mux, protocol, refusal, ExitCode.UNSUPPORTED);
            return stats;
        }
        if (args.sender()) { // a pull: this daemon is the sender
            try {
                daemonFilters = daemonFilters(module);
            } catch (IOException | IllegalArgumentException e) {
                refuse(mux, protocol, "ERROR: module " + module.name() + " is misconfigured: " + e.getMessage(),
                        ExitCode.FILE_SELECT);
                return stats;
            }
            new SendSession(request, args, moduleRoot, log, this::daemonRefuses,
                    (text, code) -> refuse(mux, protocol, text, code), stats)
                    .serve(mux, data, demux::bytesRead, protocol, compat.negotiated(),
                            compat.id0Names(), compat.safeFlist(protocol),
                            algorithm, seed, seedFirst, negotiated);
            return stats;
        }
        if (request.readOnly()) {
            refuse(mux, protocol, "ERROR: module is read only", ExitCode.SYNTAX);
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
        AltDests altDests;
        try {
            altDests = AltDests.of(args, destinationParts());
        } catch (RsyncException e) {
            refuse(mux, protocol, e.getMessage(), e.exitCode());
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
                if (altDests != null && altDests.dirs.stream().anyMatch(d -> !d.parts.isEmpty()
                        && daemonRefuses(String.join("/", d.parts), true))) {
                    // main.c do_server_recv: a basis dir the module's own rules exclude (once the destination
                    // is made, as there)
                    if (destination != null) {
                        destination.close();
                    }
                    throw new RsyncException(ExitCode.SYNTAX, "rsync: Your options have been rejected by the server.");
                }
                if (backupPlan != null && destination != null && !dryRun) {
                    backups = new Backups(backupPlan, moduleDir.retain(), destination, policy);
                }
                if (altDests != null) {
                    alts = altDests; // closed with the tree
                    alts.open(moduleDir, policy, text -> warn(mux, text));
                    fuzzyBasis = args.fuzzy() > 1 ? alts.dirs.size() + 1 : args.fuzzy() > 0 ? 1 : 0;
                } else {
                    fuzzyBasis = args.fuzzy() > 0 ? 1 : 0;
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
            if (alts != null) {
                alts.close();
            }
        }
    }

    private ReceiveStats receiveInto(MultiplexWriter mux, WireInput data, MultiplexReader demux, int protocol,
                                     CompatFlags compat, SessionMemory memory) throws IOException {
        if (!pulling && (args.delete() || args.used().contains("prune-empty-dirs"))) { // receiver_wants_list
            try {
                filters = ClientRules.read(data, false);
            } catch (IllegalArgumentException e) {
                refuse(mux, protocol, "ERROR: " + e.getMessage(), ExitCode.UNSUPPORTED);
                return stats;
            }
        }
        FileListReader.Options fo = new FileListReader.Options(protocol, compat.negotiated(), args.owner(),
                args.group(), args.devices(), args.specials(), args.links(), args.hardLinks(),
                compat.id0Names(), args.checksum() ? fileSumAlgorithm.digestLength() : 0);
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
        // a sender that could not read everything (generator.c:delete_in_dir): a vanished file is no reason
        boolean deleting = args.delete() && (incoming.ioError() & ScanResult.IOERR_GENERAL) == 0;
        if (args.delete() && !deleting) {
            mux.sendMessage(MessageCode.INFO, "IO error encountered -- skipping file deletion\n"
                    .getBytes(StandardCharsets.UTF_8));
        }
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
            mux.sendMessage(MessageCode.ERROR, ("rsync: [" + (args.sender() ? "sender" : "receiver") + "] "
                    + e.getMessage() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            if (protocol >= 31) {
                mux.sendInt(MessageCode.ERROR_EXIT, e.exitCode());
            }
            mux.flush();
        } catch (IOException | RuntimeException gone) {
            // the client is gone; the log has the reason
        }
    }

    /** A warning the client shows (rsync's FWARNING), logged too. */
    private void warn(MultiplexWriter mux, String text) {
        log.accept(text + " (module " + request.module().name() + ")");
        try {
            mux.sendMessage(MessageCode.WARNING, (text + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException gone) {
            // the client is gone: the session ends at its next read
        }
    }

    private void refuse(MultiplexWriter mux, int protocol, String text, int code) throws IOException {
        if (pulling) {
            throw new RsyncException(code, text); // our own client: its command fails with rsync's code
        }
        log.accept(text + " (module " + request.module().name() + ")");
        mux.sendMessage(MessageCode.ERROR, (text + "\n").getBytes(StandardCharsets.UTF_8));
        if (protocol >= 31) {
            mux.sendInt(MessageCode.ERROR_EXIT, code);
        }
        mux.flush();
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
        stats.changes.prefix(parts);
        Dir d = module.retain();
        try {
            for (int i = 0; i < parts.size(); i++) {
                String part = parts.get(i);
                Stat st = d.stat(part);
                if (st == null && i == parts.size() - 1) {
                    if (!dryRun) {
                        d.mkdir(part, 0777);
                    }
                    createdDestination = true;
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
        Set<Integer> leaderless = new HashSet<>();
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
            fuzzy.enter(parentOf(e.path()));
            // a later member of a hard-link group is linked to the member in place, unless none is (--compare-dest)
            boolean leads = !list.isLaterLink(i) || leaderless.remove(list.groupOf(i));
            try (DestinationTree.Node dst = tree.locate(e.path(), dryRun)) {
                if (dryRun) {
                    if (type == FileEntry.S_IFREG) {
                        if (leads && !requestIfChanged(out, i, e, dst)) {
                            leaderless.add(list.groupOf(i));
                        }
                    } else {
                        Stat was = dst.stat();
                        if (was == null) {
                            int iflags = tryDestsNon(e, dst);
                            if (iflags != SKIP) {
                                itemize(out, i, iflags);
                            }
                        } else if (type == FileEntry.S_IFDIR && was.isDirectory()) {
                            itemize(out, i, tree.reportFlags(e, was, 0));
                            if (deleting && e.isContentDir()) {
                                deletions.extraneous(dst, children.getOrDefault(e.path(), Set.of()));
                            }
                        }
                    }
                    continue;
                }
                if (type == FileEntry.S_IFDIR) {
                    Stat was = dst.stat();
                    if (tree.makeDirectory(dst) || (i == 0 && createdDestination)) { // FLAG_DIR_CREATED
                        changed(i);
                        itemize(out, i, tryDestsNon(e, dst)); // an alt dir changes only what is reported
                    } else if (was != null) { // generator.c itemize: what is about to change (time, mode, ids)
                        itemize(out, i, tree.reportFlags(e, was, 0));
                    }
                    dirsToTouch.add(i);
                    if (deleting && e.isContentDir()) {
                        deletions.extraneous(dst, children.getOrDefault(e.path(), Set.of()));
                    }
                } else if (type == FileEntry.S_IFLNK) {
                    if (args.links()) {
                        int iflags = alts == null || dst.stat() != null ? NEW : tryDestsNon(e, dst);
                        if (iflags != SKIP && tree.makeSymlink(dst, e)) {
                            itemize(out, i, iflags);
                        }
                    }
                } else if (type == FileEntry.S_IFREG) {
                    if (leads && !requestIfChanged(out, i, e, dst)) {
                        leaderless.add(list.groupOf(i));
                    }
                } else if (type == FileEntry.S_IFCHR || type == FileEntry.S_IFBLK
                        ? !args.devices() || !tree.canMakeDevices() : !args.specials()) {
                    // generator.c recv_generator: only root makes devices, and only what -D (--devices,
                    // --specials) asked for; rsync skips the rest, saying so only with -v
                } else {
                    int iflags = alts == null || dst.stat() != null ? NEW : tryDestsNon(e, dst);
                    if (iflags != SKIP && tree.makeSpecial(dst, e)) {
                        itemize(out, i, iflags);
                    }
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
                redo(out, ndx, e, dst);
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

    /**
     * Phase 1 (generator.c with phase set): a file that failed verification is asked for again, whole-length sums
     * of the same kind of basis: its old copy, else the alt-dest file that could stand for it. (A fuzzy basis is
     * not looked for again: the retry is rare and its directory's list is gone.)
     */
    private void redo(WireOutput out, int ndx, Entry e, DestinationTree.Node dst) throws IOException {
        Stat a = dst.stat();
        if (a != null && a.isRegular()) {
            request(out, ndx, ItemFlags.TRANSFER, BasisSums.head(a.size(), true, algorithm.digestLength()),
                    new Basis(Basis.FNAME, tree, e.path(), null), dst);
            return;
        }
        AltMatch m = a == null && alts != null ? findAlt(e) : null;
        if (m == null) {
            request(out, ndx, ItemFlags.TRANSFER, BasisSums.head(0, true, algorithm.digestLength()), null, null);
            return;
        }
        try (m) {
            request(out, ndx, ItemFlags.TRANSFER, BasisSums.head(m.stat().size(), true, algorithm.digestLength()),
                    new Basis(m.j(), m.tree(), e.path(), null), m.node());
        }
    }

    /** What rsync's client shows (SIGNIFICANT_ITEM_FLAGS: anything but the basis, the xname and a local change). */
    private static final int SIGNIFICANT = 0xffff
            & ~(ItemFlags.BASIS_TYPE_FOLLOWS | ItemFlags.XNAME_FOLLOWS | ItemFlags.LOCAL_CHANGE);
    /** How an entry created here without a basis is itemized. */
    private static final int NEW = ItemFlags.LOCAL_CHANGE | ItemFlags.IS_NEW;
    /** tryDestsNon: the entry is not created here (it was linked, or compared away). */
    private static final int SKIP = -1;

    /**
     * generator.c itemize: sent when the client would show it (-vv and -ii extras are not sent); what it shows
     * is a change, recorded for a relay.
     */
    private void itemize(WireOutput out, int ndx, int iflags) throws IOException {
        if ((iflags & SIGNIFICANT) != 0) {
            changed(ndx);
            out.writeNdx(ndx);
            out.writeShortInt(iflags);
        }
    }

    /** Records the entry as changed here (a relay forwards it), unless this is a dry run. */
    private void changed(int ndx) {
        changed(list.sorted[ndx]);
    }

    private void changed(Entry e) {
        if (!dryRun) {
            stats.changes.updated(e.path(), e.isDirectory());
        }
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

    /**
     * generator.c recv_generator for a regular file: the options that skip it (-u, --existing, --ignore-existing),
     * what is in the way removed, the alt-dest dirs (try_dests_reg), the quick check (size and time, -c, -I,
     * --size-only), a fuzzy basis, then the request with block sums of the basis.
     *
     * @return false when the file was compared away (--compare-dest): nothing stands at its name, so the next
     *         member of its hard-link group leads instead
     */
    private boolean requestIfChanged(WireOutput out, int ndx, Entry e, DestinationTree.Node dst) throws IOException {
        Stat a = dst.stat();
        if (a == null ? args.existing() : args.ignoreExisting()) {
            return true;
        }
        boolean regular = a != null && a.isRegular();
        if (regular && args.update() && a.mtimeSeconds() > e.mtime()) {
            return true; // -u: the receiver's copy is newer
        }
        if (a != null && !regular) { // delete_item(DEL_FOR_FILE): a dry run reports it as new, as rsync does
            if (!dryRun) {
                tree.deleteTree(dst, a);
            }
            a = null;
        }
        AltMatch alt = null;
        if (alts != null && (a == null || alts.kind != AltDests.Kind.COPY)) {
            AltOutcome o = tryDestsReg(out, ndx, e, dst, a);
            if (o.handled() != Handled.NO) {
                return o.handled() != Handled.COMPARED_AWAY;
            }
            alt = o.basis();
        }
        try (AltMatch basisAlt = alt) {
            if (regular && !args.ignoreTimes() && a.size() == e.size() && unchanged(tree, dst, e, a.mtimeSeconds())) {
                if ((tree.reportFlags(e, a, 0) & SIGNIFICANT) != 0) {
                    changed(ndx); // its mode, owner or time is set below
                }
                if (!dryRun) {
                    tree.applyAttributes(dst, e, a);
                    linkGroup(ndx, dst);
                }
                return true;
            }
            Basis basis = null;
            DestinationTree.Node basisNode = null;
            long basisSize = 0;
            if (regular) {
                basis = new Basis(Basis.FNAME, tree, e.path(), null);
                basisNode = dst;
                basisSize = a.size();
            } else if (basisAlt != null) {
                basis = new Basis(basisAlt.j(), basisAlt.tree(), e.path(), null);
                basisNode = basisAlt.node();
                basisSize = basisAlt.stat().size();
            }
            try (FuzzyFile f = basis == null && dst.dir != null ? fuzzy.find(e) : null) {
                if (f != null) {
                    basis = f.basis();
                    basisNode = f.node();
                    basisSize = f.stat().size();
                }
                fuzzy.sending(e); // find_fuzzy never offers a file that is being replaced
                // itemized against what stat'ed as this file: the old copy, else an alt file (real_ret is taken
                // after try_dests_reg, before find_fuzzy), else nothing
                Stat real = a != null ? a : basisAlt != null ? basisAlt.stat() : null;
                int iflags = ItemFlags.TRANSFER | (real == null ? ItemFlags.IS_NEW
                        : tree.reportFlags(e, real, ItemFlags.TRANSFER));
                if (args.checksum()) {
                    iflags |= ItemFlags.REPORT_CHANGE;
                }
                if (dryRun) {
                    pending.put(ndx, new Pending(null, basis)); // rsync's !do_xfers: the index and flags only
                    writeItem(out, ndx, iflags, basis);
                    return true;
                }
                SumHead head = basis == null ? new SumHead(0, 0, 0, 0)
                        : BasisSums.head(basisSize, false, algorithm.digestLength());
                request(out, ndx, iflags, head, basis, basisNode);
                return true;
            }
        }
    }

    /** What try_dests_reg did with the file. */
    private enum Handled { NO, DONE, COMPARED_AWAY }

    /** try_dests_reg's answer: done here (linked, copied, compared away), an alt file as basis, or nothing. */
    private record AltOutcome(Handled handled, AltMatch basis) {
        static final AltOutcome NOTHING = new AltOutcome(Handled.NO, null);
        static final AltOutcome DONE = new AltOutcome(Handled.DONE, null);
        static final AltOutcome COMPARED_AWAY = new AltOutcome(Handled.COMPARED_AWAY, null);
    }

    /**
     * generator.c try_dests_reg: the alt file that stands for this one. An exact match (level 3) is hard-linked
     * into place with --link-dest (what was there is replaced: it is backed up when the client asked for backups,
     * where rsync unlinks it) and with --compare-dest means nothing is needed here (one in its place is removed,
     * as rsync removes it); a match of content only (level 2), --copy-dest's exact match, or a link that cannot
     * be made is copied into place here; a regular file that differs is the basis of the delta (level 1). When
     * the destination exists ({@code a} not null) only an exact match counts.
     */
    private AltOutcome tryDestsReg(WireOutput out, int ndx, Entry e, DestinationTree.Node dst, Stat a)
            throws IOException {
        AltMatch m = findAlt(e);
        if (m == null) {
            return AltOutcome.NOTHING;
        }
        boolean basis = false;
        try {
            if (m.level() == 3 && alts.kind != AltDests.Kind.COPY) {
                if (a != null && alts.kind == AltDests.Kind.LINK && m.stat().sameFile(a)) {
                    return AltOutcome.NOTHING; // already that file: the quick check keeps it
                }
                if (alts.kind == AltDests.Kind.COMPARE) {
                    if (a != null && !dryRun) {
                        tree.remove(dst, false);
                        changed(ndx); // gone from here: a relay deletes it too
                    }
                    return AltOutcome.COMPARED_AWAY; // itemized with nothing that differs: nothing to send
                }
                if (dryRun || tree.linkFrom(m.node(), m.stat(), dst)) {
                    if (!dryRun) {
                        stats.linkedFiles++;
                        changed(ndx);
                        linkGroup(ndx, dst);
                    }
                    return AltOutcome.DONE; // hard_link_one: reported at -vv/-ii only, which are not sent
                }
                // try_a_copy
            } else if (a != null) {
                return AltOutcome.NOTHING;
            }
            if (m.level() >= 2) {
                if (!dryRun) {
                    try (NativeFile in = m.tree().openBasis(m.node())) {
                        if (!in.stat().sameFile(m.stat())) { // replaced since it was compared
                            return AltOutcome.NOTHING;
                        }
                        tree.copyFrom(in, dst, e);
                    } catch (FsException failed) {
                        return AltOutcome.NOTHING; // copy_altdest_file failed: the file is transferred instead
                    }
                    stats.copiedFiles++;
                }
                itemize(out, ndx, ItemFlags.LOCAL_CHANGE | tree.reportFlags(e, m.stat(), ItemFlags.LOCAL_CHANGE));
                if (!dryRun) {
                    linkGroup(ndx, dst);
                }
                return AltOutcome.DONE;
            }
            basis = true;
            return new AltOutcome(Handled.NO, m);
        } finally {
            if (!basis) {
                m.close();
            }
        }
    }

    /**
     * generator.c try_dests_non, for a directory, symlink, device or special file missing here: with an exact
     * match (level 3) in an alt dir, --link-dest hard-links it into place (a directory is made, as rsync makes
     * it; a link that cannot be made falls back to creating it, as rsync 3.4 does), --compare-dest leaves it out,
     * --copy-dest creates it; none of them is reported. A lesser match is created and reported against the alt
     * entry, not as new.
     *
     * @return the itemize flags for once it is created, or SKIP when it is not to be created here
     */
    private int tryDestsNon(Entry e, DestinationTree.Node dst) throws IOException {
        if (alts == null) {
            return NEW;
        }
        int type = e.mode() & FileEntry.S_IFMT;
        try (AltMatch m = findAlt(e)) {
            if (m == null) {
                return NEW;
            }
            if (m.level() == 3) {
                if (type == FileEntry.S_IFDIR || alts.kind == AltDests.Kind.COPY) {
                    return 0;
                }
                if (alts.kind == AltDests.Kind.COMPARE || dryRun) {
                    return SKIP;
                }
                if (tree.linkFrom(m.node(), m.stat(), dst)) {
                    changed(e);
                    return SKIP;
                }
                return 0;
            }
            int iflags = ItemFlags.LOCAL_CHANGE | (type == FileEntry.S_IFDIR ? 0 : ItemFlags.REPORT_CHANGE);
            return iflags | tree.reportFlags(e, m.stat(), iflags);
        }
    }

    /** An alt-dest entry for a list entry: how well it matches (1 to 3), its dir's index and tree, node, lstat. */
    private record AltMatch(int level, int j, DestinationTree tree, DestinationTree.Node node, Stat stat)
            implements AutoCloseable {
        @Override
        public void close() {
            node.close();
        }
    }

    /**
     * The search of try_dests_reg and try_dests_non: each alt dir in order, the same path below it. Level 1 is an
     * entry of the same kind (a regular file can be a basis), 2 also passes quick_check_ok, 3 also
     * unchanged_attrs, which ends the search; the first dir reaching the highest level wins. Everything is
     * looked up through the alt dir's descriptors without following a symlink: a symlink on the way makes the
     * entry absent, one as the entry is of another kind. What the module's rules exclude is not looked at.
     */
    private AltMatch findAlt(Entry e) throws IOException {
        int type = e.mode() & FileEntry.S_IFMT;
        AltMatch best = null;
        for (int j = 0; j < alts.dirs.size(); j++) {
            AltDests.BasisDir d = alts.dirs.get(j);
            if (d.tree == null || daemonRefuses(d.moduleRelative(e.path()), type == FileEntry.S_IFDIR)) {
                continue;
            }
            DestinationTree.Node n;
            try {
                n = d.tree.locate(e.path(), true);
            } catch (FsException unreachable) { // a symlink or a file where a directory of the path would be
                continue;
            }
            boolean kept = false;
            try {
                Stat st = n.dir == null ? null : n.stat();
                if (st == null || kind(st.type()) != kind(type)) {
                    continue;
                }
                int level = quickCheck(e, st, d.tree, n) ? tree.attrsUnchanged(e, st) ? 3 : 2 : 1;
                if (best == null || level > best.level()) {
                    if (best != null) {
                        best.close();
                    }
                    best = new AltMatch(level, j, d.tree, n, st);
                    kept = true;
                }
                if (level == 3) {
                    break;
                }
            } finally {
                if (!kept) {
                    n.close();
                }
            }
        }
        return best;
    }

    /** generator.c get_file_type: FIFOs and sockets are one kind (FT_SPECIAL), as are the two kinds of device. */
    private static int kind(int type) {
        return switch (type) {
            case FileEntry.S_IFIFO, FileEntry.S_IFSOCK -> FileEntry.S_IFIFO;
            case FileEntry.S_IFCHR, FileEntry.S_IFBLK -> FileEntry.S_IFCHR;
            default -> type;
        };
    }

    /**
     * generator.c quick_check_ok for an alt-dest entry: a regular file by checksum with -c, else size (all with
     * --size-only), never with -I, else whole-second mtime; a symlink by its target as it would be stored here; a
     * special by its type; a device by its type (rsync looks at the numbers only) and numbers.
     */
    private boolean quickCheck(Entry e, Stat st, DestinationTree t, DestinationTree.Node n) throws IOException {
        return switch (kind(st.type())) {
            case FileEntry.S_IFREG -> {
                if (st.size() != e.size()) {
                    yield false;
                }
                if (args.checksum()) {
                    yield e.checksum() != null && MessageDigest.isEqual(e.checksum(), fileChecksum(t, n));
                }
                yield args.sizeOnly() || (!args.ignoreTimes() && st.mtimeSeconds() == e.mtime());
            }
            case FileEntry.S_IFLNK -> Arrays.equals(n.dir.readlink(n.name), tree.storedTarget(e));
            case FileEntry.S_IFIFO -> st.type() == (e.mode() & FileEntry.S_IFMT);
            case FileEntry.S_IFCHR -> st.type() == (e.mode() & FileEntry.S_IFMT) && st.rdevMajor() == e.rdevMajor()
                    && st.rdevMinor() == e.rdevMinor();
            default -> true;
        };
    }

    private boolean unchanged(DestinationTree t, DestinationTree.Node n, Entry e, long mtime) throws IOException {
        if (args.checksum()) {
            return e.checksum() != null && MessageDigest.isEqual(e.checksum(), fileChecksum(t, n));
        }
        return args.sizeOnly() || mtime == e.mtime();
    }

    /** checksum.c file_checksum: the whole file through the file-list checksum, unseeded. */
    private byte[] fileChecksum(DestinationTree t, DestinationTree.Node n) throws IOException {
        ChecksumAlgorithm.FileDigest d = fileSumAlgorithm.fileDigest();
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(256 * 1024);
        try (NativeFile in = t.openBasis(n)) {
            while (in.read(buf.clear()) > 0) {
                d.update(buf.array(), 0, buf.position());
            }
        }
        return d.digest();
    }

    /** The index and itemize flags of a transfer, with the basis type and fuzzy name when the basis says so. */
    private static void writeItem(WireOutput out, int ndx, int iflags, Basis basis) throws IOException {
        int flags = iflags | (basis == null ? 0 : basis.flags());
        out.writeNdx(ndx);
        out.writeShortInt(flags);
        if ((flags & ItemFlags.BASIS_TYPE_FOLLOWS) != 0) {
            out.writeByte(basis.type());
        }
        if ((flags & ItemFlags.XNAME_FOLLOWS) != 0) {
            out.writeVstring(basis.xname());
        }
    }

    /** Asks for the file with block sums of {@code basis} (at {@code node}), or of nothing when it is null. */
    private void request(WireOutput out, int ndx, int iflags, SumHead head, Basis basis, DestinationTree.Node node)
            throws IOException {
        changed(ndx);
        if (basis == null) {
            pending.put(ndx, new Pending(head, null));
            writeItem(out, ndx, iflags, null);
            head.write(out);
            return;
        }
        try (NativeFile ch = basis.tree().openBasis(node)) { // before the index goes out: a failure is this file's
            pending.put(ndx, new Pending(head, basis));
            writeItem(out, ndx, iflags, basis);
            BasisSums.write(out, head, ch, () -> algorithm.blockSummer(seed, seedFirst));
        }
    }

    /** A fuzzy basis found for a file, open until its sums are sent. */
    private record FuzzyFile(Basis basis, DestinationTree.Node node, Stat stat) implements AutoCloseable {
        @Override
        public void close() {
            node.close();
        }
    }

    /**
     * The --fuzzy lists of the directory being generated (generator.c fuzzy_dirlist and need_fuzzy_dirlist): read
     * when a file of that directory first needs one, dropped when the generator moves on to another directory.
     */
    private final class FuzzyLists {
        private String dir;
        private List<List<Fuzzy.Candidate>> lists;

        void enter(String parent) {
            if (!parent.equals(dir)) {
                dir = parent;
                lists = null;
            }
        }

        /** find_fuzzy's basis for the missing file {@code e}, located and checked to be a regular file, or null. */
        FuzzyFile find(Entry e) throws IOException {
            if (fuzzyBasis == 0) {
                return null;
            }
            if (lists == null) {
                lists = read();
            }
            Fuzzy.Found f = Fuzzy.find(lists, nameOf(e.path()), e.size(), e.mtime());
            if (f == null) {
                return null;
            }
            DestinationTree t = f.list() == 0 ? tree : alts.dirs.get(f.list() - 1).tree;
            String rel = dir.equals(".") ? f.candidate().name : dir + "/" + f.candidate().name;
            DestinationTree.Node n;
            try {
                n = t.locate(rel, false);
            } catch (FsException gone) {
                return null;
            }
            Stat st = n.stat();
            if (st == null || !st.isRegular()) { // replaced since it was listed
                n.close();
                return null;
            }
            return new FuzzyFile(new Basis(Basis.FUZZY + f.list(), t, rel, f.candidate().name), n, st);
        }

        /** The file is about to be replaced: it is no basis for a later one (FLAG_FILE_SENT). */
        void sending(Entry e) {
            if (lists != null && lists.get(0) != null) {
                String name = nameOf(e.path());
                for (Fuzzy.Candidate c : lists.get(0)) {
                    if (c.name.equals(name)) {
                        c.sent = true;
                    }
                }
            }
        }

        private List<List<Fuzzy.Candidate>> read() {
            List<List<Fuzzy.Candidate>> read = new ArrayList<>();
            for (int i = 0; i < fuzzyBasis; i++) {
                AltDests.BasisDir d = i == 0 ? null : alts.dirs.get(i - 1);
                DestinationTree t = d == null ? tree : d.tree;
                read.add(t == null ? null : candidates(t, d));
            }
            return read;
        }

        /** get_dirlist: the non-empty regular files of the directory, in rsync's order; none when it is missing. */
        private List<Fuzzy.Candidate> candidates(DestinationTree t, AltDests.BasisDir d) {
            Map<String, Stat> entries;
            try {
                entries = t.listWithStats(dir);
            } catch (IOException unreadable) {
                return null;
            }
            List<Fuzzy.Candidate> found = new ArrayList<>();
            entries.forEach((name, st) -> {
                String rel = dir.equals(".") ? name : dir + "/" + name;
                if (st.isRegular() && st.size() > 0 && !daemonRefuses(d == null ? rel : d.moduleRelative(rel), false)) {
                    found.add(new Fuzzy.Candidate(name, st.size(), st.mtimeSeconds()));
                }
            });
            found.sort((x, y) -> FileListOrder.compare(x.bytes, false, y.bytes, false));
            return found;
        }
    }

    private static String nameOf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    // ---------------------------------------------------------------- receiver

    private void receive(WireInput in, int protocol, CompletableFuture<List<Integer>> phase0) throws IOException {
        TokenReceiver receiver = new TokenReceiver(algorithm);
        List<Integer> redo = new ArrayList<>();
        int phase = 0;
        while (true) {
            int ndx = readNdxSkippingDelStats(in);
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
            // sender.c echoes the basis type and fuzzy name the generator sent (write_ndx_and_attrs)
            int basisType = (iflags & ItemFlags.BASIS_TYPE_FOLLOWS) != 0 ? in.readByte() : Basis.FNAME;
            String xname = (iflags & ItemFlags.XNAME_FOLLOWS) != 0 ? in.readVstring(Limits.MAX_PATH) : null;
            if ((iflags & ItemFlags.TRANSFER) == 0) {
                continue;
            }
            Pending p = pending.remove(ndx);
            if (p == null) {
                throw RsyncException.protocol("the sender sent file " + ndx + ", which we never requested");
            }
            // the basis is the one we chose and summed, never one the client names (receiver.c trusts it)
            Basis asked = p.basis();
            if (basisType != (asked == null ? Basis.FNAME : asked.type())
                    || !java.util.Objects.equals(xname, asked == null ? null : asked.xname())) {
                throw RsyncException.protocol("the sender sent a basis type or name we never asked for (file "
                        + ndx + ")");
            }
            if (dryRun) {
                continue; // a dry run echoes the index and flags only
            }
            SumHead echoed = SumHead.read(in, algorithm.digestLength());
            if (!echoed.equals(p.head())) {
                throw RsyncException.protocol("the sender changed the block sums of file " + ndx);
            }
            receiveFile(in, receiver, ndx, p, phase, redo);
        }
        finishing.awaitAll(timeoutMillis);
        if (pulling) { // main.c handle_stats: a server sender's totals follow its last file
            for (int i = 0; i < 5; i++) {
                in.readVarlong(3);
            }
        }
        if (protocol >= 31 && readNdxSkippingDelStats(in) != Ndx.DONE) {
            throw RsyncException.protocol("Invalid packet at end of run [receiver]");
        }
    }

    /**
     * The next index from the sender. A daemon sending to our pull echoes the deletion statistics our generator
     * sent it (io.c read_ndx_and_attrs: a server sender writes them back): read and passed over.
     */
    private int readNdxSkippingDelStats(WireInput in) throws IOException {
        int ndx = in.readNdx();
        while (pulling && ndx == Ndx.DEL_STATS) {
            for (int i = 0; i < 5; i++) {
                in.readVarint();
            }
            ndx = in.readNdx();
        }
        return ndx;
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
            if (p.basis() != null) {
                try {
                    basis = p.basis().type() == Basis.FNAME ? tree.openBasis(dst) : p.basis().open();
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

    /**
     * Makes the other members of a hard-link group links to the member in place, {@code leader}: its first, or
     * the first one not compared away (--compare-dest). Those compared away before it are linked too, as rsync's
     * finish_hard_link links every member still waiting in the group's chain.
     */
    private void linkGroup(int leader, DestinationTree.Node leaderNode) throws IOException {
        if (!args.hardLinks()) {
            return;
        }
        int first = list.groupOf(leader);
        if (first != leader && tree.hardLink(list.sorted[first].path(), leaderNode)) {
            changed(first);
        }
        for (int member : list.membersOf(first)) {
            if (member != leader && tree.hardLink(list.sorted[member].path(), leaderNode)) {
                changed(member);
            }
        }
    }
}
