package io.camelrsync.daemon;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.filter.FilterRules;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListOrder;
import io.camelrsync.flist.FileListReader;
import io.camelrsync.flist.FileListReader.Entry;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.Limits;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.protocol.MultiplexReader;
import io.camelrsync.protocol.MultiplexWriter;
import io.camelrsync.protocol.Ndx;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.receiver.BasisSums;
import io.camelrsync.receiver.TokenReceiver;
import io.camelrsync.sender.SumHead;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.time.Instant;
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
    private static final int ITEM_TRANSFER = 1 << 15;
    private static final int ITEM_IS_NEW = 1 << 13;
    private static final int ITEM_REPORT_SIZE = 1 << 2;
    private static final int ITEM_REPORT_TIME = 1 << 3;
    private static final int ITEM_BASIS_TYPE_FOLLOWS = 1 << 11;
    private static final int ITEM_XNAME_FOLLOWS = 1 << 12;

    private final ModuleRequest request;
    private final ClientArgs args;
    private final Path moduleRoot;
    private final Consumer<String> log;
    private final long timeoutMillis;
    private final ReceiveStats stats = new ReceiveStats();
    private final boolean root = "root".equals(System.getProperty("user.name"));

    private Path dest;
    private Entry[] sorted;
    private int[] firstOfGroup;
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final Set<Path> safeDirs = ConcurrentHashMap.newKeySet();
    private ChecksumAlgorithm algorithm;
    private int seed;
    private boolean seedFirst;
    private FilterRules filters = FilterRules.empty();
    private Map<Integer, String> userNames = Map.of();
    private Map<Integer, String> groupNames = Map.of();

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
        algorithm = ChecksumAlgorithm.MD5;
        if ((compat & CF_VARINT) != 0) {
            StringBuilder ours = new StringBuilder();
            for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
                ours.append(a.wireName()).append(' ');
            }
            plain.writeVstring(ours.append("none").toString());
            plain.flush();
            List<String> theirs = Arrays.asList(new WireInput(in).readVstring(Limits.MAX_NSTR).trim().split("\\s+"));
            algorithm = Arrays.stream(ChecksumAlgorithm.values()).filter(a -> theirs.contains(a.wireName()))
                    .findFirst().orElseThrow(() -> RsyncException.protocol("no common checksum with the client: "
                            + theirs));
        }
        seed = new SecureRandom().nextInt() & 0x7fffffff;
        seedFirst = (compat & CF_SEED_FIX) != 0;
        plain.writeInt(seed);
        plain.flush();

        MultiplexWriter mux = new MultiplexWriter(rawOut);
        MultiplexReader demux = new MultiplexReader(in, (code, text) -> log.accept("client: " + text.strip()),
                timeoutMillis);
        demux.start("rsyncd-demux");
        WireInput data = new WireInput(demux.data());

        if (request.module().readOnly()) {
            refuse(mux, protocol, "ERROR: module is read only", ExitCode.SYNTAX);
            return stats;
        }
        if (args.sender()) {
            refuse(mux, protocol, "ERROR: sending files from this daemon is not supported yet", ExitCode.UNSUPPORTED);
            return stats;
        }
        dest = destination();
        if (args.delete()) {
            for (int len; (len = data.readInt()) != 0; ) {
                if (len < 0 || len >= Limits.MAX_PATH) {
                    throw RsyncException.protocol("filter rule of " + len + " bytes");
                }
                String rule = new String(data.readBytes(len, Limits.MAX_PATH, "filter rule"), StandardCharsets.UTF_8);
                filters = filters.withRule(rule);
            }
        }
        FileListReader.Options fo = new FileListReader.Options(protocol, (compat & CF_VARINT) != 0, args.owner(),
                args.group(), args.devices(), args.specials(), args.links(), args.hardLinks(),
                (compat & CF_ID0_NAMES) != 0, 0);
        FileListReader.Received list = new FileListReader(fo).read(data, args.numericIds());
        userNames = list.userNames();
        groupNames = list.groupNames();
        sortAndCheck(list.entries());
        stats.files = sorted.length;

        WireOutput out = new WireOutput(mux);
        CompletableFuture<List<Integer>> phase0 = new CompletableFuture<>();
        CompletableFuture<Void> received = new CompletableFuture<>();
        boolean deleting = args.delete() && list.ioError() == 0; // a sender that could not read everything
        CompletableFuture<Void> generator = CompletableFuture.runAsync(() -> {
            try {
                generate(out, mux, protocol, deleting, phase0, received);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            receive(data, protocol, phase0);
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

    private void refuse(MultiplexWriter mux, int protocol, String text, int code) throws IOException {
        log.accept(text + " (module " + request.module().name() + ")");
        mux.sendMessage(MessageCode.ERROR, (text + "\n").getBytes(StandardCharsets.UTF_8));
        if (protocol >= 31) {
            mux.sendInt(MessageCode.ERROR_EXIT, code);
        }
        mux.flush();
    }

    /** Module path plus the path below the module the client named, which must stay inside. */
    private Path destination() throws IOException {
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
                Files.createDirectory(d);
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
        Set<String> dirs = new HashSet<>();
        for (int i = 0; i < sorted.length; i++) {
            Entry e = sorted[i];
            firstOfGroup[i] = e.hardLinkFirst() < 0 ? -1 : sortedPos[e.hardLinkFirst()];
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
            Path dst = resolve(e.path());
            int type = e.mode() & FileEntry.S_IFMT;
            if (type == FileEntry.S_IFDIR) {
                makeDirectory(dst);
                dirsToTouch.add(i);
                if (deleting && e.isContentDir()) {
                    deleteExtraneous(mux, dst, e.path(), children.getOrDefault(e.path(), Set.of()));
                }
            } else if (type == FileEntry.S_IFLNK) {
                if (args.links()) {
                    makeSymlink(dst, e);
                }
            } else if (type == FileEntry.S_IFREG) {
                if (firstOfGroup[i] >= 0) {
                    continue; // linked once its group's first member is in place
                }
                requestIfChanged(out, i, e, dst);
            } else {
                log.accept("skipping non-regular file \"" + e.path() + "\" (devices and specials are not supported)");
            }
        }
        out.writeNdx(Ndx.DONE);
        out.flush();
        List<Integer> redo = phase0.join();
        for (int ndx : redo) {
            Entry e = sorted[ndx];
            Path dst = resolve(e.path());
            Path basis = Files.isRegularFile(dst, LinkOption.NOFOLLOW_LINKS) ? dst : null;
            request(out, ndx, ITEM_TRANSFER, BasisSums.head(basis == null ? 0 : Files.size(basis), true,
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
            applyAttributes(resolve(e.path()), e);
        }
        out.writeNdx(Ndx.DONE);
        out.flush();
    }

    private void requestIfChanged(WireOutput out, int ndx, Entry e, Path dst) throws IOException {
        java.nio.file.attribute.BasicFileAttributes a = attrsOrNull(dst);
        if (a != null && a.isRegularFile() && a.size() == e.size()
                && a.lastModifiedTime().toInstant().getEpochSecond() == e.mtime()) {
            applyAttributes(dst, e);
            linkGroup(ndx, dst);
            return;
        }
        if (a != null && !a.isRegularFile()) {
            deleteTree(dst);
            a = null;
        }
        Path basis = a == null ? null : dst;
        SumHead head = basis == null ? new SumHead(0, 0, 0, 0)
                : BasisSums.head(a.size(), false, algorithm.digestLength());
        request(out, ndx, ITEM_TRANSFER | (a == null ? ITEM_IS_NEW : ITEM_REPORT_SIZE | ITEM_REPORT_TIME), head,
                basis);
    }

    private void request(WireOutput out, int ndx, int iflags, SumHead head, Path basis) throws IOException {
        pending.put(ndx, new Pending(head, basis));
        out.writeNdx(ndx);
        out.writeShortInt(iflags);
        if (basis == null) {
            head.write(out);
        } else {
            try (FileChannel ch = FileChannel.open(basis, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                BasisSums.write(out, head, ch, algorithm.blockSummer(seed, seedFirst));
            }
        }
    }

    private void makeDirectory(Path dst) throws IOException {
        java.nio.file.attribute.BasicFileAttributes a = attrsOrNull(dst);
        if (a != null && a.isDirectory()) {
            return;
        }
        if (a != null) {
            deleteTree(dst);
        }
        Files.createDirectory(dst);
    }

    private void makeSymlink(Path dst, Entry e) throws IOException {
        String target = new String(e.linkTarget(), StandardCharsets.UTF_8);
        java.nio.file.attribute.BasicFileAttributes a = attrsOrNull(dst);
        if (a != null) {
            if (a.isSymbolicLink() && Files.readSymbolicLink(dst).toString().equals(target)) {
                setTimes(dst, e);
                return;
            }
            deleteTree(dst);
        }
        Files.createSymbolicLink(dst, Path.of(target)); // stored verbatim, never followed
        setTimes(dst, e);
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
            if (filters.isExcluded(path, isDir)) {
                continue; // protected by the client's rules
            }
            deleteReported(mux, p, path);
        }
    }

    /** Deletes a path and everything under it, reporting each entry as rsync does (contents first). */
    private void deleteReported(MultiplexWriter mux, Path p, String path) throws IOException {
        boolean isDir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
        if (isDir) {
            List<Path> kids = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                ds.forEach(kids::add);
            }
            for (Path k : kids) {
                deleteReported(mux, k, path + "/" + k.getFileName());
            }
        }
        boolean isLink = !isDir && Files.isSymbolicLink(p);
        boolean isFile = !isDir && !isLink && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
        Files.deleteIfExists(p);
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
    }

    // ---------------------------------------------------------------- receiver

    private void receive(WireInput in, int protocol, CompletableFuture<List<Integer>> phase0) throws IOException {
        TokenReceiver tokens = new TokenReceiver(algorithm);
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
            if ((iflags & (ITEM_BASIS_TYPE_FOLLOWS | ITEM_XNAME_FOLLOWS)) != 0) {
                throw RsyncException.protocol("the client sent a basis type or name we never asked for");
            }
            if ((iflags & ITEM_TRANSFER) == 0) {
                continue;
            }
            Pending p = pending.remove(ndx);
            if (p == null) {
                throw RsyncException.protocol("the client sent file " + ndx + ", which we never requested");
            }
            SumHead echoed = SumHead.read(in, algorithm.digestLength());
            if (!echoed.equals(p.head())) {
                throw RsyncException.protocol("the client changed the block sums of file " + ndx);
            }
            Entry e = sorted[ndx];
            Path dst = resolve(e.path());
            Path tmp = Files.createTempFile(dst.getParent(), "." + dst.getFileName() + ".", "");
            TokenReceiver.Result r;
            try (OutputStream fileOut = new BufferedOutputStream(Files.newOutputStream(tmp), 256 * 1024);
                 FileChannel basis = p.basis() == null ? null
                         : FileChannel.open(p.basis(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                r = tokens.receive(in, p.head(), basis, fileOut);
            } catch (IOException | RuntimeException ex) {
                Files.deleteIfExists(tmp);
                throw ex;
            }
            if (!r.verified()) {
                Files.deleteIfExists(tmp);
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
            applyAttributes(tmp, e);
            try {
                Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException ex) {
                Files.move(tmp, dst, StandardCopyOption.REPLACE_EXISTING);
            }
            linkGroup(ndx, dst);
        }
        if (protocol >= 31 && in.readNdx() != Ndx.DONE) {
            throw RsyncException.protocol("Invalid packet at end of run [receiver]");
        }
    }

    /** Makes the other members of a hard-link group links to its first member. */
    private void linkGroup(int first, Path firstPath) throws IOException {
        if (!args.hardLinks()) {
            return;
        }
        for (int i = first + 1; i < sorted.length; i++) {
            if (firstOfGroup[i] != first) {
                continue;
            }
            Path member = resolve(sorted[i].path());
            Object want = Files.getAttribute(firstPath, "unix:ino", LinkOption.NOFOLLOW_LINKS);
            java.nio.file.attribute.BasicFileAttributes a = attrsOrNull(member);
            if (a != null && want.equals(Files.getAttribute(member, "unix:ino", LinkOption.NOFOLLOW_LINKS))) {
                continue;
            }
            if (a != null) {
                deleteTree(member);
            }
            try {
                Files.createLink(member, firstPath);
            } catch (FileAlreadyExistsException raced) {
                deleteTree(member);
                Files.createLink(member, firstPath);
            }
        }
    }

    // ---------------------------------------------------------------- paths and attributes

    /** The destination of a list entry; refuses any path whose parent chain holds a symlink or leaves dest. */
    private Path resolve(String rel) throws IOException {
        Path p = rel.equals(".") ? dest : dest.resolve(rel).normalize();
        if (!p.startsWith(dest)) {
            throw new RsyncException(ExitCode.UNSUPPORTED, "ABORTING: " + rel + " leaves the module");
        }
        Path parent = p.equals(dest) ? null : p.getParent();
        if (parent != null && !safeDirs.contains(parent)) {
            for (Path d = parent; d != null && d.startsWith(dest) && !d.equals(dest); d = d.getParent()) {
                if (Files.isSymbolicLink(d) || !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    throw new RsyncException(ExitCode.UNSUPPORTED, "ABORTING: the parent of " + rel
                            + " is not a directory (a symlink is never followed)");
                }
            }
            safeDirs.add(parent);
        }
        return p;
    }

    private void applyAttributes(Path p, Entry e) throws IOException {
        if (args.perms()) {
            Files.setPosixFilePermissions(p, permissions(e.mode()));
        }
        if (root && args.owner()) {
            setOwnership(p, e.uid(), userNames.get(e.uid()), true);
        }
        if (root && args.group()) {
            setOwnership(p, e.gid(), groupNames.get(e.gid()), false);
        }
        if (args.times()) {
            setTimes(p, e);
        }
    }

    private void setTimes(Path p, Entry e) throws IOException {
        if (!args.times()) {
            return;
        }
        FileTime t = FileTime.from(Instant.ofEpochSecond(e.mtime(), e.mtimeNsec()));
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(t, null, null);
    }

    /** By name when the client sent one that exists here, else by number (rsync's id mapping). */
    private static void setOwnership(Path p, int id, String name, boolean user) throws IOException {
        var view = Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        if (name != null) {
            var lookup = p.getFileSystem().getUserPrincipalLookupService();
            try {
                if (user) {
                    view.setOwner(lookup.lookupPrincipalByName(name));
                } else {
                    view.setGroup(lookup.lookupPrincipalByGroupName(name));
                }
                return;
            } catch (java.nio.file.attribute.UserPrincipalNotFoundException unknownHere) {
                // fall back to the number
            }
        }
        Files.setAttribute(p, user ? "unix:uid" : "unix:gid", id, LinkOption.NOFOLLOW_LINKS);
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = new HashSet<>();
        PosixFilePermission[] all = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE
        for (int i = 0; i < 9; i++) {
            if ((mode & (0400 >> i)) != 0) {
                s.add(all[i]);
            }
        }
        return s;
    }

    private static java.nio.file.attribute.BasicFileAttributes attrsOrNull(Path p) throws IOException {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                for (Path c : ds) {
                    deleteTree(c);
                }
            }
        }
        Files.deleteIfExists(p);
    }
}
