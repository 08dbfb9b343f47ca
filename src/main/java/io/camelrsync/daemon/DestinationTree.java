package io.camelrsync.daemon;

import io.camelrsync.flist.ChmodRules;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListReader.Entry;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The module directory a push writes into: every path is confined to it (no component may be a symlink and
 * nothing may leave it), entries are created without following links, and attributes are applied as the
 * client asked and the module allows (incoming chmod, the module's uid/gid when the daemon runs as root).
 */
final class DestinationTree {
    /** What the session may do about ownership and modes, from the client's options and the module. */
    record Policy(boolean perms, boolean times, boolean owner, boolean group, boolean fsync, boolean mungeSymlinks,
                  ChmodRules incomingChmod, ModuleIdentity identity) {
    }

    static final String MUNGE_PREFIX = "/rsyncd-munged/";
    private static final LinkOption[] NO_FOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final LinkOption[] FOLLOW = {};

    private final Path dest;
    private final Policy policy;
    private final Set<Path> safeDirs = ConcurrentHashMap.newKeySet();
    private volatile Stat freshFile;
    private Map<Integer, String> userNames = Map.of();
    private Map<Integer, String> groupNames = Map.of();

    DestinationTree(Path dest, Policy policy) {
        this.dest = dest;
        this.policy = policy;
    }

    /** Only a session acting as root may create device nodes. */
    boolean canMakeDevices() {
        return policy.identity().preservesOwnership();
    }

    void names(Map<Integer, String> users, Map<Integer, String> groups) {
        this.userNames = users;
        this.groupNames = groups;
    }

    /** The destination of a list entry; refuses any path whose parent chain holds a symlink or leaves dest. */
    Path resolve(String rel) throws IOException {
        Path p = rel.equals(".") ? dest : dest.resolve(rel).normalize();
        if (!p.startsWith(dest)) {
            throw new RsyncException(ExitCode.UNSUPPORTED, "ABORTING: " + rel + " leaves the module");
        }
        Path parent = p.equals(dest) ? null : p.getParent();
        if (parent != null && !safeDirs.contains(parent)) {
            // a missing component is fine (a dry run creates nothing; below it nothing can exist)
            for (Path d = parent; d != null && d.startsWith(dest) && !d.equals(dest); d = d.getParent()) {
                BasicFileAttributes a = attrsOrNull(d);
                if (a != null && !a.isDirectory()) {
                    throw new RsyncException(ExitCode.UNSUPPORTED, "ABORTING: the parent of " + rel
                            + " is not a directory (a symlink is never followed)");
                }
            }
            if (Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) {
                safeDirs.add(parent);
            }
        }
        return p;
    }

    static BasicFileAttributes attrsOrNull(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** @return whether it was created (rsync itemizes it as new) */
    boolean makeDirectory(Path dst) throws IOException {
        BasicFileAttributes a = attrsOrNull(dst);
        if (a != null && a.isDirectory()) {
            return false;
        }
        if (a != null) {
            deleteTree(dst);
        }
        Files.createDirectory(dst);
        policy.identity().claim(dst);
        return true;
    }

    /** Symlinks are stored verbatim (or munged when the module asks) and never followed. */
    boolean makeSymlink(Path dst, Entry e) throws IOException {
        String target = new String(e.linkTarget(), StandardCharsets.UTF_8);
        if (policy.mungeSymlinks()) {
            target = MUNGE_PREFIX + target;
        }
        BasicFileAttributes a = attrsOrNull(dst);
        if (a != null) {
            if (a.isSymbolicLink() && Files.readSymbolicLink(dst).toString().equals(Path.of(target).toString())) {
                setTimes(dst, e);
                return false;
            }
            deleteTree(dst);
        }
        if (Path.of(target).toString().equals(target)) {
            Files.createSymbolicLink(dst, Path.of(target));
        } else {
            run("ln", "-s", "--", target, dst.toString()); // Path would drop a "//" or a trailing "/"
        }
        policy.identity().claim(dst);
        setTimes(dst, e);
        return true;
    }

    /** FIFOs and sockets for --specials; character and block devices for --devices (root only). */
    boolean makeSpecial(Path dst, Entry e) throws IOException {
        int type = e.mode() & FileEntry.S_IFMT;
        BasicFileAttributes a = attrsOrNull(dst);
        if (a != null && a.isOther() && sameSpecial(dst, e)) {
            applySpecialAttributes(dst, e);
            return false;
        }
        if (a != null) {
            deleteTree(dst);
        }
        if (type == FileEntry.S_IFSOCK) {
            try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.bind(UnixDomainSocketAddress.of(dst)); // leaves the socket file behind, as mknod would
            }
        } else {
            String kind = type == FileEntry.S_IFIFO ? "p" : type == FileEntry.S_IFCHR ? "c" : "b";
            // the JDK cannot make device nodes or FIFOs; coreutils' mknod does, without following links
            if (kind.equals("p")) {
                run("mknod", dst.toString(), "p");
            } else {
                run("mknod", dst.toString(), kind, Long.toString(e.rdevMajor()), Long.toString(e.rdevMinor()));
            }
        }
        policy.identity().claim(dst);
        applySpecialAttributes(dst, e);
        return true;
    }

    /**
     * The JDK opens a file to change its mode or times, which blocks on a FIFO and fails on a socket or an
     * absent device; chmod(1) and touch(1) work on the name.
     */
    private void applySpecialAttributes(Path p, Entry e) throws IOException {
        if (policy.identity().preservesOwnership()) {
            if (policy.owner()) {
                setOwnership(p, e.uid(), userNames.get(e.uid()), true, null); // lchown: no open
            }
            if (policy.group()) {
                setOwnership(p, e.gid(), groupNames.get(e.gid()), false, null);
            }
        }
        if (policy.perms() || !policy.incomingChmod().isEmpty()) {
            int mode = policy.perms() ? e.mode() : 0644;
            mode = policy.incomingChmod().apply(mode & 07777) & 07777;
            run("chmod", Integer.toOctalString(mode), p.toString());
        }
        if (policy.times()) {
            run("touch", "-h", "-m", "-d", "@" + e.mtime() + "." + String.format("%09d", e.mtimeNsec()),
                    p.toString());
        }
    }

    /** Runs a coreutils command on an absolute path (never mistaken for an option). */
    private static void run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException(command[0] + " interrupted");
        }
    }

    private static boolean sameSpecial(Path p, Entry e) throws IOException {
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & FileEntry.S_IFMT) != (e.mode() & FileEntry.S_IFMT)) {
            return false;
        }
        int type = mode & FileEntry.S_IFMT;
        if (type != FileEntry.S_IFCHR && type != FileEntry.S_IFBLK) {
            return true;
        }
        long rdev = (Long) Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
        return major(rdev) == e.rdevMajor() && minor(rdev) == e.rdevMinor();
    }

    private static long major(long dev) {
        return ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
    }

    private static long minor(long dev) {
        return ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
    }

    /** A new temporary file beside the destination (".name.XXXXXX"), created and opened once. */
    FileChannel createTemp(Path dst, Path[] name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dst.resolveSibling("." + dst.getFileName() + "." + randomSuffix());
            try {
                FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS);
                name[0] = tmp;
                return ch;
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                if (attempt > 100) {
                    throw taken;
                }
            }
        }
    }

    private static String randomSuffix() {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] c = new char[6];
        for (int i = 0; i < c.length; i++) {
            c[i] = alphabet.charAt(r.nextInt(alphabet.length()));
        }
        return new String(c);
    }

    /** Writes a file that arrived whole into memory to a new temporary name. */
    Path writeTemp(Path dst, byte[] data, int len) throws IOException {
        Path[] tmp = new Path[1];
        try (FileChannel ch = createTemp(dst, tmp)) {
            ByteBuffer bb = ByteBuffer.wrap(data, 0, len);
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
            if (policy.fsync()) {
                ch.force(true);
            }
        } catch (IOException | RuntimeException e) {
            if (tmp[0] != null) {
                Files.deleteIfExists(tmp[0]);
            }
            throw e;
        }
        return tmp[0];
    }

    /** Attributes, then the atomic rename: no partial file ever shows under the real name. */
    void commit(Path tmp, Path dst, Entry e) throws IOException {
        try {
            policy.identity().claim(tmp);
            Stat fresh = freshFile;
            if (fresh == null) { // every new file starts alike (our ids, the umask's mode): stat the first only
                Stat first = Stat.of(tmp);
                fresh = new Stat(first.mode(), first.uid(), first.gid(), Long.MIN_VALUE, 0, 0);
                freshFile = policy.identity().claimsFiles() ? null : fresh;
            }
            applyAttributes(tmp, e, fresh, FOLLOW);
            rename(tmp, dst);
        } catch (IOException | RuntimeException ex) {
            Files.deleteIfExists(tmp);
            throw ex;
        }
    }

    private static void rename(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException ex) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes {@code member} a hard link to {@code first}, replacing whatever is there in one rename. */
    void hardLink(Path member, Path first) throws IOException {
        BasicFileAttributes a = attrsOrNull(member);
        if (a != null && a.isRegularFile() && a.fileKey() != null
                && a.fileKey().equals(attrsOrNull(first).fileKey())) {
            return;
        }
        if (a != null && a.isDirectory()) {
            deleteTree(member);
        }
        if (!Files.isDirectory(member.getParent(), LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(member.getParent()); // the generator may not have reached it yet
        }
        Path tmp = member.resolveSibling("." + member.getFileName() + "." + randomSuffix());
        Files.createLink(tmp, first);
        try {
            rename(tmp, member);
        } catch (IOException | RuntimeException ex) {
            Files.deleteIfExists(tmp);
            throw ex;
        }
    }

    /** What one lstat says about an entry: all the attribute comparisons need. */
    record Stat(int mode, int uid, int gid, long mtimeSeconds, int mtimeNanos, long size) {
        static Stat of(Path p) throws IOException {
            Map<String, Object> a;
            try {
                a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,size", LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return null;
            }
            Instant t = ((FileTime) a.get("lastModifiedTime")).toInstant();
            return new Stat((Integer) a.get("mode"), (Integer) a.get("uid"), (Integer) a.get("gid"),
                    t.getEpochSecond(), t.getNano(), (Long) a.get("size"));
        }

        boolean isRegular() {
            return (mode & FileEntry.S_IFMT) == FileEntry.S_IFREG;
        }
    }

    void applyAttributes(Path p, Entry e) throws IOException {
        applyAttributes(p, e, Stat.of(p));
    }

    void applyAttributes(Path p, Entry e, Stat current) throws IOException {
        applyAttributes(p, e, current, NO_FOLLOW);
    }

    /**
     * Sets what differs from {@code current} (rsync's set_file_attrs): an unchanged file costs no syscall.
     * The JDK opens a file to change mode or times without following links; a temporary file we just created
     * under a random name is known to be no link, so it takes the path-based calls instead.
     */
    private void applyAttributes(Path p, Entry e, Stat current, LinkOption[] links) throws IOException {
        if (policy.identity().preservesOwnership()) {
            if (policy.owner()) {
                setOwnership(p, e.uid(), userNames.get(e.uid()), true, current == null ? null : current.uid());
            }
            if (policy.group()) {
                setOwnership(p, e.gid(), groupNames.get(e.gid()), false, current == null ? null : current.gid());
            }
        }
        if (policy.perms() || !policy.incomingChmod().isEmpty()) {
            // after chown, which clears set-id bits; unix:mode keeps them (PosixFilePermission cannot)
            int now = current != null ? current.mode() & 07777
                    : (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
            int mode = policy.perms() ? e.mode() : now;
            boolean dir = (e.mode() & FileEntry.S_IFMT) == FileEntry.S_IFDIR;
            mode = policy.incomingChmod().apply((mode & 07777) | (dir ? FileEntry.S_IFDIR : 0)) & 07777;
            if (mode != now || current == null) {
                Files.setAttribute(p, "unix:mode", mode, links);
            }
        }
        if (policy.times() && (current == null || current.mtimeSeconds() != e.mtime()
                || current.mtimeNanos() != e.mtimeNsec())) {
            setTimes(p, e, links);
        }
    }

    void setTimes(Path p, Entry e) throws IOException {
        setTimes(p, e, NO_FOLLOW);
    }

    private void setTimes(Path p, Entry e, LinkOption[] links) throws IOException {
        if (!policy.times()) {
            return;
        }
        FileTime t = FileTime.from(Instant.ofEpochSecond(e.mtime(), e.mtimeNsec()));
        Files.getFileAttributeView(p, BasicFileAttributeView.class, links).setTimes(t, null, null);
    }

    /** By name when the client sent one that exists here, else by number (rsync's id mapping). */
    private static void setOwnership(Path p, int id, String name, boolean user, Integer current)
            throws IOException {
        if (name != null) {
            Integer local = user ? LocalIds.get().user(name) : LocalIds.get().group(name);
            if (local == null) {
                if (setByName(p, name, user)) {
                    return;
                }
            } else {
                id = local;
            }
        }
        if (current == null || current != id) {
            Files.setAttribute(p, user ? "unix:uid" : "unix:gid", id, LinkOption.NOFOLLOW_LINKS);
        }
    }

    private static boolean setByName(Path p, String name, boolean user) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        var lookup = p.getFileSystem().getUserPrincipalLookupService();
        try {
            if (user) {
                view.setOwner(lookup.lookupPrincipalByName(name));
            } else {
                view.setGroup(lookup.lookupPrincipalByGroupName(name));
            }
            return true;
        } catch (UserPrincipalNotFoundException unknownHere) {
            return false; // rsync falls back to the number
        }
    }

    static void deleteTree(Path p) throws IOException {
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
