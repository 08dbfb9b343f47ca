package io.camelrsync.receiver;

import io.camelrsync.flist.ChmodRules;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListReader.Entry;
import io.camelrsync.fs.Dir;
import io.camelrsync.fs.FsException;
import io.camelrsync.fs.Names;
import io.camelrsync.fs.NativeFile;
import io.camelrsync.fs.Stat;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.ItemFlags;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiPredicate;

/**
 * The directory a push writes into, reached only through directory descriptors: every entry is a {@link Node}
 * (its parent directory, held open, and one name there), every call is relative to that descriptor and never
 * follows a symlink, so no name the client sends and no rename another process makes can lead a write outside
 * it. Attributes are applied as the client asked and the module allows (incoming chmod, the module's uid/gid
 * when the daemon runs as root). Temp files are tracked until renamed, and {@link #close()} removes any left.
 */
public final class DestinationTree implements AutoCloseable {
    /**
     * What the session may do about ownership and modes, from the client's options and the module.
     * {@code omitDirTimes}: directories keep the times they get (rsync's --omit-dir-times, which -b without a
     * backup directory forces: backups written beside the files change their directories afterwards).
     */
    public record Policy(boolean perms, boolean times, boolean owner, boolean group, boolean fsync,
                         boolean mungeSymlinks, ChmodRules incomingChmod, Ownership identity, boolean omitDirTimes) {
    }

    static final String MUNGE_PREFIX = "/rsyncd-munged/";
    /** Open directories kept per session: consecutive entries of a sorted list mostly share one. */
    private static final int CACHED_DIRS = 64;
    /** rsync's get_tmpname: ".name.XXXXXX" must fit NAME_MAX. */
    private static final int MAX_TEMP_STEM = 255 - 8;

    /** An entry of the destination: {@code name} in {@code dir}; the top directory itself has no name. */
    final class Node implements AutoCloseable {
        /** The open parent, or null in a dry run when the parent does not exist yet. */
        final Dir dir;
        final String name;
        final String rel;

        private Node(Dir dir, String name, String rel) {
            this.dir = dir;
            this.name = name;
            this.rel = rel;
        }

        boolean isTop() {
            return name == null;
        }

        /** lstat; null when absent. */
        Stat stat() throws IOException {
            return dir == null ? null : isTop() ? dir.stat() : dir.stat(name);
        }

        @Override
        public void close() {
            if (dir != null) {
                dir.close();
            }
        }

        @Override
        public String toString() {
            return rel;
        }
    }

    /** A temp file being written: where it is and its open descriptor. */
    record Temp(Dir dir, String name, NativeFile channel) {
    }

    private final Dir root;
    private final Policy policy;
    /** --backup: where what is replaced or deleted goes first; null without it. */
    private final Backups backups;
    private final Map<String, Dir> dirs = new LinkedHashMap<>(CACHED_DIRS, 0.75f, true);
    private final Set<Temp> temps = ConcurrentHashMap.newKeySet();
    private volatile Stat freshFile;
    /** The client's and the module's rules, once read: what they protect stays when a directory is in the way. */
    private volatile BiPredicate<String, Boolean> protectedPaths = (path, dir) -> false;
    private volatile boolean closed;
    private Map<Integer, String> userNames = Map.of();
    private Map<Integer, String> groupNames = Map.of();

    /** Takes ownership of {@code root}; null for a dry run whose destination does not exist yet. */
    DestinationTree(Dir root, Policy policy) {
        this(root, policy, null);
    }

    /** The same, backing up what is replaced or deleted when {@code backups} is given (its owner then). */
    DestinationTree(Dir root, Policy policy, Backups backups) {
        this.root = root;
        this.policy = policy;
        this.backups = backups;
    }

    /** Paths (below the destination; is a directory) that must survive a directory removed to make way. */
    void protect(BiPredicate<String, Boolean> rules) {
        this.protectedPaths = rules;
    }

    /** Directories keep the times they get (-b without a backup dir: --omit-dir-times). */
    boolean omitsDirTimes() {
        return policy.omitDirTimes();
    }

    /** Only a session acting as root may create device nodes. */
    boolean canMakeDevices() {
        return policy.identity().preservesOwnership();
    }

    void names(Map<Integer, String> users, Map<Integer, String> groups) {
        this.userNames = users;
        this.groupNames = groups;
    }

    /**
     * The entry at {@code rel} (a list name: no empty, "." or ".." component but a lone "."). Its parent is
     * opened beneath the top without following any symlink; a component that is a symlink or not a directory
     * fails with ELOOP or ENOTDIR. {@code mayBeMissing}: a missing parent gives a node with no directory (a dry
     * run creates nothing) instead of an error.
     */
    Node locate(String rel, boolean mayBeMissing) throws IOException {
        int slash = rel.lastIndexOf('/');
        String name = rel.equals(".") ? null : rel.substring(slash + 1);
        if (root == null) { // a dry run into a destination that does not exist yet
            return new Node(null, name, rel);
        }
        if (slash < 0) {
            return new Node(cachedOrAncestor("").dir(), name, rel);
        }
        try {
            return new Node(directory(rel.substring(0, slash)), name, rel);
        } catch (FsException e) {
            if (mayBeMissing && e.notFound()) {
                return new Node(null, name, rel);
            }
            throw e;
        }
    }

    /** A retained directory and the path still to open below it ("" when it is the one asked for). */
    private record Start(Dir dir, String rest) {
    }

    /**
     * Under the lock, so that a session closing meanwhile cannot release it: the cached directory {@code rel},
     * else its nearest cached ancestor or the top ({@code rel} "" is the top itself), retained.
     */
    private Start cachedOrAncestor(String rel) throws IOException {
        synchronized (dirs) {
            ensureOpen();
            if (rel.isEmpty()) {
                return new Start(root.retain(), "");
            }
            Dir d = dirs.get(rel);
            if (d != null) {
                return new Start(d.retain(), "");
            }
            for (int slash = rel.lastIndexOf('/'); slash > 0; slash = rel.lastIndexOf('/', slash - 1)) {
                d = dirs.get(rel.substring(0, slash));
                if (d != null) {
                    return new Start(d.retain(), rel.substring(slash + 1));
                }
            }
            return new Start(root.retain(), rel);
        }
    }

    /** An open directory below the top, from the cache or opened from its nearest cached ancestor. */
    private Dir directory(String rel) throws IOException {
        Start start = cachedOrAncestor(rel);
        if (start.rest().isEmpty()) {
            return start.dir();
        }
        Dir opened;
        try (Dir from = start.dir()) {
            opened = from.openPath(start.rest());
        }
        synchronized (dirs) {
            if (closed) {
                opened.close();
                ensureOpen();
            }
            Dir old = dirs.put(rel, opened.retain());
            if (old != null) {
                old.close();
            }
            if (dirs.size() > CACHED_DIRS) {
                Iterator<Dir> eldest = dirs.values().iterator();
                eldest.next().close();
                eldest.remove();
            }
        }
        return opened;
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new java.io.InterruptedIOException("the session has ended");
        }
    }

    /** Forgets cached descriptors of {@code rel} and below: that directory was just removed or replaced. */
    private void forget(String rel) {
        String prefix = rel + "/";
        synchronized (dirs) {
            for (Iterator<Map.Entry<String, Dir>> it = dirs.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Dir> e = it.next();
                if (e.getKey().equals(rel) || e.getKey().startsWith(prefix)) {
                    e.getValue().close();
                    it.remove();
                }
            }
        }
    }

    /** Creates the missing directories above {@code rel} (a hard link may come before the generator made them). */
    private void makeParents(String rel) throws IOException {
        int slash = rel.lastIndexOf('/');
        if (slash < 0) {
            return;
        }
        String parent = rel.substring(0, slash);
        try (Node n = locate(parent, true)) {
            if (n.dir == null) {
                makeParents(parent);
            }
        }
        try (Node n = locate(parent, false)) {
            if (n.stat() == null && mkdirRacing(n)) {
                claim(n);
            }
        }
    }

    /**
     * mkdir, where the generator (making the list's directories) and a finisher (making a hard link's parents)
     * may make the same one at once: a directory that appeared meanwhile is as good as made; false then.
     */
    private static boolean mkdirRacing(Node n) throws IOException {
        try {
            n.dir.mkdir(n.name, 0777); // the umask applies; the list's mode is set once the contents are in
            return true;
        } catch (FsException e) {
            Stat now = e.exists() ? n.stat() : null;
            if (now != null && now.isDirectory()) {
                return false;
            }
            throw e;
        }
    }

    /** @return whether it was created (rsync itemizes it as new) */
    boolean makeDirectory(Node n) throws IOException {
        if (n.isTop()) {
            return false;
        }
        Stat a = n.stat();
        if (a != null && a.isDirectory()) {
            return false;
        }
        if (a != null) {
            deleteTree(n, a);
        }
        if (mkdirRacing(n)) {
            claim(n);
        }
        return true; // absent when the generator came to it: new, whoever made it
    }

    /** The target as stored: verbatim, or munged when the module or the client asks (never followed either way). */
    byte[] storedTarget(Entry e) {
        return policy.mungeSymlinks() ? concat(MUNGE_PREFIX.getBytes(StandardCharsets.UTF_8), e.linkTarget())
                : e.linkTarget();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Symlinks are stored as the client sent them (or munged when asked) and never followed. */
    boolean makeSymlink(Node n, Entry e) throws IOException {
        byte[] target = storedTarget(e);
        Stat a = n.stat();
        if (a != null) {
            if (a.isSymlink() && Arrays.equals(n.dir.readlink(n.name), target)) {
                setTimes(n, e, a);
                return false;
            }
            deleteTree(n, a);
        }
        n.dir.symlink(target, n.name);
        claim(n);
        setTimes(n, e, null);
        return true;
    }

    /** FIFOs and sockets for --specials; character and block devices for --devices (root only). */
    boolean makeSpecial(Node n, Entry e) throws IOException {
        Stat a = n.stat();
        if (a != null && sameSpecial(a, e)) {
            applyAttributes(n, e, a);
            return false;
        }
        if (a != null) {
            deleteTree(n, a);
        }
        int type = e.mode() & FileEntry.S_IFMT;
        boolean device = type == FileEntry.S_IFCHR || type == FileEntry.S_IFBLK;
        n.dir.mknod(n.name, type | 0666, device ? e.rdevMajor() : 0, device ? e.rdevMinor() : 0); // less the umask
        claim(n);
        applyAttributes(n, e, null);
        return true;
    }

    private static boolean sameSpecial(Stat a, Entry e) {
        if (a.type() != (e.mode() & FileEntry.S_IFMT)) {
            return false;
        }
        return (a.type() != FileEntry.S_IFCHR && a.type() != FileEntry.S_IFBLK)
                || (a.rdevMajor() == e.rdevMajor() && a.rdevMinor() == e.rdevMinor());
    }

    /** The old copy of a regular file, for its block sums and the rebuild; a non-regular file is refused. */
    NativeFile openBasis(Node n) throws IOException {
        return n.dir.openRead(n.name);
    }

    /** A new temporary file beside the destination (".name.XXXXXX"), created exclusively, tracked until renamed. */
    Temp createTemp(Node dst) throws IOException {
        ensureOpen();
        for (int attempt = 0; ; attempt++) {
            String name = tempName(dst.name);
            try {
                // 0666 less the umask, as the JDK made them before: the mode a new file keeps without -p
                Temp t = new Temp(dst.dir.retain(), name, dst.dir.createNew(name, 0666));
                temps.add(t);
                if (closed) { // the session ended meanwhile: close() may have missed this one
                    discard(t);
                    ensureOpen();
                }
                return t;
            } catch (FsException taken) {
                dst.dir.close();
                if (!taken.exists() || attempt > 100) {
                    throw taken;
                }
            }
        }
    }

    /** ".name.XXXXXX" beside {@code name}, the name cut so the whole stays within 255 bytes (NAME_MAX). */
    private static String tempName(String name) {
        String stem = name;
        while (Names.encode(stem).length > MAX_TEMP_STEM) {
            stem = stem.substring(0, stem.length() - 1);
        }
        return "." + stem + "." + randomSuffix();
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
    Temp writeTemp(Node dst, byte[] data, int len) throws IOException {
        Temp t = createTemp(dst);
        try {
            ByteBuffer bb = ByteBuffer.wrap(data, 0, len);
            while (bb.hasRemaining()) {
                t.channel().write(bb);
            }
        } catch (IOException | RuntimeException e) {
            discard(t);
            throw e;
        }
        return t;
    }

    /** Removes a temp file that will not be renamed into place. */
    void discard(Temp t) {
        if (!temps.remove(t)) {
            return;
        }
        try {
            t.channel().close();
            t.dir().unlink(t.name());
        } catch (IOException ignored) {
            // already gone
        } finally {
            t.dir().close();
        }
    }

    /** Attributes through the open descriptor, then the atomic rename: no partial file shows under the name. */
    void commit(Temp t, Node dst, Entry e) throws IOException {
        try {
            NativeFile ch = t.channel();
            if (policy.fsync()) {
                ch.force(true);
            }
            if (policy.identity().claimsFiles()) {
                ch.chown(policy.identity().uid(), policy.identity().gid());
            }
            Stat fresh = freshFile;
            if (fresh == null) { // every new file starts alike (our ids, the umask's mode): stat the first only
                Stat first = ch.stat();
                fresh = new Stat(first.mode(), first.uid(), first.gid(), 0, Long.MIN_VALUE, 0, 1, 0, 0, 0, 0);
                freshFile = policy.identity().claimsFiles() ? null : fresh;
            }
            applyAttributes(ch, e, fresh);
            ensureOpen();
            keepReplaced(dst);
            t.dir().rename(t.name(), dst.dir, dst.name);
            if (temps.remove(t)) { // else close() got there first and released it
                ch.close();
                t.dir().close();
            }
        } catch (IOException | RuntimeException ex) {
            discard(t);
            throw ex;
        }
    }

    /**
     * rsync.c finish_transfer: with --backup the old copy is hard-linked to its backup name before the new one
     * is renamed over it. rsync ends the whole transfer when that fails (exit 11), and so does this.
     */
    private void keepReplaced(Node dst) throws IOException {
        if (backups == null) {
            return;
        }
        try {
            backups.keep(dst.dir, dst.name, dst.rel, false);
        } catch (IOException | RuntimeException e) {
            throw new RsyncException(ExitCode.FILE_IO, "make_backup of \"" + dst.rel + "\" failed: " + e.getMessage(), e);
        }
    }

    /** Makes {@code member} a hard link to {@code first}, replacing whatever is there in one rename. */
    boolean hardLink(String memberRel, Node first) throws IOException {
        makeParents(memberRel);
        try (Node member = locate(memberRel, false)) {
            Stat a = member.stat();
            if (a != null && a.isRegular() && a.sameFile(first.stat())) {
                return false;
            }
            if (a != null && a.isDirectory()) {
                deleteTree(member, a);
            } else if (a != null && backups != null) {
                backups.keep(member.dir, member.name, member.rel, false); // hlink.c: atomic_create's make_backup
            }
            String tmp = tempName(member.name);
            member.dir.link(first.dir, first.name, tmp);
            try {
                member.dir.rename(tmp, member.dir, member.name);
            } catch (IOException | RuntimeException ex) {
                member.dir.unlink(tmp);
                throw ex;
            }
            return true;
        }
    }

    /**
     * generator.c try_dests_reg's hard link of an alt-dest file ({@code from}, in another tree of the module) into
     * place: linked to a temporary name beside {@code dst} and renamed over it, so the name is never missing; what
     * it replaces is backed up first, as a replaced file is. The link is checked to be the very file that was
     * compared ({@code compared}), so an entry swapped in meanwhile is never put in place. Nothing of the file's
     * attributes is touched: they are the alt file's too. False when the link cannot be made (another file
     * system, too many links: hard_link_one's failure, after which rsync copies) or is not that file.
     */
    boolean linkFrom(Node from, Stat compared, Node dst) throws IOException {
        ensureOpen();
        String tmp = tempName(dst.name);
        try {
            dst.dir.link(from.dir, from.name, tmp);
        } catch (FsException cannot) {
            return false;
        }
        try {
            Stat linked = dst.dir.stat(tmp);
            if (linked == null || linked.type() != compared.type() || !linked.sameFile(compared)) {
                dst.dir.unlink(tmp);
                return false;
            }
            Stat a = dst.stat();
            if (a != null && a.isDirectory()) {
                deleteTree(dst, a);
            } else if (a != null) {
                keepReplaced(dst);
            }
            dst.dir.rename(tmp, dst.dir, dst.name); // the file keeps its owner: it is the alt file's too
            return true;
        } catch (IOException | RuntimeException ex) {
            try {
                dst.dir.unlink(tmp);
            } catch (IOException gone) {
                // renamed into place before the failure, or never made
            }
            throw ex;
        }
    }

    /**
     * generator.c copy_altdest_file: {@code in} (an alt-dest file, open) copied to a temporary name beside
     * {@code dst}, then finished as a received file is (attributes, backup of what it replaces, rename).
     */
    void copyFrom(NativeFile in, Node dst, Entry e) throws IOException {
        Temp t = createTemp(dst);
        try {
            ByteBuffer buf = ByteBuffer.allocate(256 * 1024);
            while (in.read(buf.clear()) > 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    t.channel().write(buf);
                }
            }
        } catch (IOException | RuntimeException ex) {
            discard(t);
            throw ex;
        }
        commit(t, dst, e);
    }

    /**
     * generator.c unchanged_attrs: whether {@code st} (an alt-dest entry) already has what the entry asks for, so
     * it can stand for it as it is: the time with -t, the permissions with -p (after incoming chmod; a symlink's
     * have none here), owner and group when the session keeps the client's ids (rsync compares the owner as root
     * only; this daemon gives every entry the module's ids otherwise, so neither is compared then).
     */
    boolean attrsUnchanged(Entry e, Stat st) {
        if (policy.times() && st.mtimeSeconds() != e.mtime()) {
            return false;
        }
        boolean link = (e.mode() & FileEntry.S_IFMT) == FileEntry.S_IFLNK;
        if (!link && policy.perms() && (st.mode() & 07777) != wantedMode(e, st.mode() & 07777)) {
            return false;
        }
        return changedIds(e, st) == null;
    }

    /**
     * The attribute part of generator.c itemize for an entry compared with {@code st}: REPORT_SIZE, _TIME, _PERMS,
     * _OWNER, _GROUP for what differs. Without -t the time is reported for what is transferred or changed
     * locally, as rsync does.
     */
    int reportFlags(Entry e, Stat st, int iflags) {
        int type = e.mode() & FileEntry.S_IFMT;
        int flags = 0;
        if (type == FileEntry.S_IFREG && st.size() != e.size()) {
            flags |= ItemFlags.REPORT_SIZE;
        }
        boolean keepTime = policy.times() && !(type == FileEntry.S_IFDIR && policy.omitDirTimes());
        if (keepTime ? st.mtimeSeconds() != e.mtime()
                : (iflags & (ItemFlags.TRANSFER | ItemFlags.LOCAL_CHANGE)) != 0) {
            flags |= ItemFlags.REPORT_TIME;
        }
        if (type != FileEntry.S_IFLNK && policy.perms() && (st.mode() & 07777) != wantedMode(e, st.mode() & 07777)) {
            flags |= ItemFlags.REPORT_PERMS;
        }
        int[] ids = changedIds(e, st);
        if (ids != null && ids[0] != -1) {
            flags |= ItemFlags.REPORT_OWNER;
        }
        if (ids != null && ids[1] != -1) {
            flags |= ItemFlags.REPORT_GROUP;
        }
        return flags;
    }

    void applyAttributes(Node n, Entry e) throws IOException {
        applyAttributes(n, e, n.stat());
    }

    /**
     * Sets what differs from {@code current} (rsync's set_file_attrs): an unchanged file costs no syscall.
     * Every call is on the name relative to its directory without following a symlink.
     */
    void applyAttributes(Node n, Entry e, Stat current) throws IOException {
        int[] ids = changedIds(e, current);
        boolean chowned = ids != null;
        if (chowned) {
            if (n.isTop()) {
                n.dir.chownSelf(ids[0], ids[1]);
            } else {
                n.dir.chown(n.name, ids[0], ids[1]);
            }
        }
        boolean link = (e.mode() & FileEntry.S_IFMT) == FileEntry.S_IFLNK;
        if (!link && (policy.perms() || !policy.incomingChmod().isEmpty())) {
            int now = (current != null ? current : n.stat()).mode() & 07777;
            int mode = wantedMode(e, now);
            if (mode != now || current == null || chowned) { // chown clears set-id bits: set the mode again
                if (n.isTop()) {
                    n.dir.chmodSelf(mode);
                } else {
                    n.dir.chmod(n.name, mode);
                }
            }
        }
        setTimes(n, e, current);
    }

    /** The same for a temp file, through its own descriptor; {@code current} is how new files start here. */
    private void applyAttributes(NativeFile ch, Entry e, Stat current) throws IOException {
        int[] ids = changedIds(e, current);
        if (ids != null) {
            ch.chown(ids[0], ids[1]);
        }
        if (policy.perms() || !policy.incomingChmod().isEmpty()) {
            int now = current.mode() & 07777;
            int mode = wantedMode(e, now);
            if (mode != now || ids != null) {
                ch.chmod(mode);
            }
        }
        if (policy.times()) {
            ch.setMtime(e.mtime(), e.mtimeNsec());
        }
    }

    /**
     * The owner and group to set (-1: leave that one), or null when nothing changes: only a session acting as
     * root keeps the client's ids, mapped by name where this machine knows it (rsync's id mapping).
     */
    private int[] changedIds(Entry e, Stat current) {
        if (!policy.identity().preservesOwnership()) {
            return null;
        }
        int uid = policy.owner() ? localId(e.uid(), userNames.get(e.uid()), true) : -1;
        int gid = policy.group() ? localId(e.gid(), groupNames.get(e.gid()), false) : -1;
        uid = current != null && current.uid() == uid ? -1 : uid;
        gid = current != null && current.gid() == gid ? -1 : gid;
        return uid == -1 && gid == -1 ? null : new int[] {uid, gid};
    }

    private int wantedMode(Entry e, int now) {
        int mode = policy.perms() ? e.mode() & 07777 : now;
        boolean dir = (e.mode() & FileEntry.S_IFMT) == FileEntry.S_IFDIR;
        return policy.incomingChmod().apply(mode | (dir ? FileEntry.S_IFDIR : 0)) & 07777;
    }

    private void setTimes(Node n, Entry e, Stat current) throws IOException {
        if (policy.omitDirTimes() && (e.mode() & FileEntry.S_IFMT) == FileEntry.S_IFDIR) {
            return;
        }
        if (!policy.times() || (current != null && current.mtimeSeconds() == e.mtime()
                && current.mtimeNanos() == e.mtimeNsec())) {
            return;
        }
        if (n.isTop()) {
            n.dir.setMtimeSelf(e.mtime(), e.mtimeNsec());
        } else {
            n.dir.setMtime(n.name, e.mtime(), e.mtimeNsec());
        }
    }

    /** By name when the client sent one that exists here, else by number (rsync's id mapping). */
    private static int localId(int id, String name, boolean user) {
        if (name != null) {
            Integer local = user ? LocalIds.get().user(name) : LocalIds.get().group(name);
            if (local != null) {
                return local;
            }
        }
        return id;
    }

    /** Gives a freshly created entry to the module's user and group (no-op when the session runs as root). */
    private void claim(Node n) throws IOException {
        Ownership id = policy.identity();
        if (id.claimsFiles()) {
            n.dir.chown(n.name, id.uid(), id.gid());
        }
    }

    /** The entries of the directory {@code rel} with their lstat (generator.c get_dirlist, for --fuzzy). */
    Map<String, Stat> listWithStats(String rel) throws IOException {
        try (Node n = locate(rel, false); Dir d = n.isTop() ? n.dir.retain() : n.dir.openDir(n.name)) {
            Map<String, Stat> entries = new LinkedHashMap<>();
            for (String name : d.list()) {
                Stat st = d.stat(name);
                if (st != null) {
                    entries.put(name, st);
                }
            }
            return entries;
        }
    }

    /** The names in a directory of the destination. */
    java.util.List<String> list(Node n) throws IOException {
        if (n.isTop()) {
            return n.dir.list();
        }
        try (Dir d = n.dir.openDir(n.name)) {
            return d.list();
        }
    }

    /**
     * Removes an entry in the way and, for a directory, everything below it, without following any symlink
     * (delete.c delete_item with DEL_RECURSE): what the rules protect stays, and with --backup each
     * non-directory is kept first. A directory left non-empty that way stays, and the rmdir's error is the
     * caller's (rsync's "could not make way").
     */
    void deleteTree(Node n, Stat a) throws IOException {
        if (a.isDirectory()) {
            forget(n.rel);
            try (Dir d = n.dir.openDir(n.name)) {
                emptyDirectory(d, n.rel);
            }
            n.dir.rmdir(n.name);
        } else {
            removeFile(n.dir, n.name, n.rel);
        }
    }

    /** delete_dir_contents: every entry the rules do not protect, subdirectories that cannot be emptied kept. */
    private void emptyDirectory(Dir d, String rel) throws IOException {
        for (String child : d.list()) {
            Stat s = d.stat(child);
            String childRel = rel + "/" + child;
            if (s == null || protectedPaths.test(childRel, s.isDirectory())) {
                continue;
            }
            if (s.isDirectory()) {
                try (Dir sub = d.openDir(child)) {
                    emptyDirectory(sub, childRel);
                }
                try {
                    d.rmdir(child);
                } catch (FsException kept) {
                    if (!kept.notEmpty()) {
                        throw kept;
                    } // what it holds keeps it, and so its parent
                }
            } else {
                removeFile(d, child, childRel);
            }
        }
    }

    /** delete_item for a non-directory: backed up first when the client asked for backups. */
    private void removeFile(Dir d, String name, String rel) throws IOException {
        if (backups != null && backups.keeps(name)
                && backups.keep(d, name, rel, true) != Backups.Kept.LINKED) {
            return; // moved to its backup name, or already gone
        }
        d.unlink(name);
    }

    /** Removes everything below {@code d}, backing nothing up. */
    static void deleteContents(Dir d) throws IOException {
        for (String child : d.list()) {
            Stat s = d.stat(child);
            if (s == null) {
                continue;
            }
            if (s.isDirectory()) {
                try (Dir sub = d.openDir(child)) {
                    deleteContents(sub);
                }
                d.rmdir(child);
            } else {
                d.unlink(child);
            }
        }
    }

    /** Removes one entry (a directory must be empty); the session has reported it. */
    void remove(Node n, boolean directory) throws IOException {
        if (directory) {
            forget(n.rel);
            n.dir.rmdir(n.name);
        } else {
            removeFile(n.dir, n.name, n.rel);
        }
    }

    /** Ends the session's hold on the destination: temp files not yet renamed are removed, descriptors closed. */
    @Override
    public void close() {
        synchronized (dirs) {
            if (closed) {
                return;
            }
            closed = true;
            dirs.values().forEach(Dir::close);
            dirs.clear();
        }
        for (Temp t : temps) {
            discard(t);
        }
        if (backups != null) {
            backups.close();
        }
        if (root != null) {
            root.close();
        }
    }
}
