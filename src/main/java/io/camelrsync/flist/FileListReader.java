package io.camelrsync.flist;

import io.camelrsync.fs.Names;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.Limits;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes a sender's file list (flist.c recv_file_entry) for protocols 30..32 without incremental recursion,
 * refusing what a hostile sender could use against the receiver (notes section 10): unsafe names, name
 * prefixes longer than the previous name, bad mode types, out-of-range nanoseconds, sizes and hard-link
 * references, and flags for options that are off.
 */
public final class FileListReader {
    /** What travels per entry, from the client's options and the negotiated protocol. */
    public record Options(int protocol, boolean varintFlags, boolean uids, boolean gids, boolean devices,
                          boolean specials, boolean links, boolean hardLinks, boolean id0Names, int checksumLength) {
    }

    /** One received entry; {@code hardLinkFirst} is the index of its group's first member, or -1. */
    public record Entry(String path, int xflags, int mode, long size, long mtime, int mtimeNsec, int uid, int gid,
                        long rdevMajor, long rdevMinor, byte[] linkTarget, int hardLinkFirst, byte[] checksum) {
        public boolean isDirectory() {
            return (mode & FileEntry.S_IFMT) == FileEntry.S_IFDIR;
        }

        public boolean isContentDir() {
            return isDirectory() && (xflags & Xmit.NO_CONTENT_DIR) == 0;
        }
    }

    /** The whole list: entries in received order, the sender's io_error, and uid/gid names. */
    public record Received(List<Entry> entries, int ioError, Map<Integer, String> userNames,
                           Map<Integer, String> groupNames) {
    }

    /**
     * What a list may cost the receiver, charged as each entry arrives so an oversized list is refused before it
     * is held (rsync's --max-alloc is the model). {@code bytes} is the heap an entry keeps until the session ends.
     */
    public interface Budget {
        Budget NONE = (entries, bytes) -> { };

        void charge(int entries, long bytes) throws RsyncException;
    }

    /** More entries than this is a sender trying to exhaust memory, not a tree. */
    public static final int MAX_ENTRIES = 50_000_000;
    /**
     * The heap one entry holds while the session runs: the entry and its name here, and the receiver's sort and
     * per-directory indexes (measured: about 270 bytes for a short name), plus its bytes of name twice.
     */
    public static final int ENTRY_BYTES = 300;
    private static final int MAX_IDS = 1 << 16;

    private final Options o;
    private byte[] lastName = new byte[0];
    private int mode;
    private long mtime;
    private int uid;
    private int gid;
    private long rdevMajor;

    public FileListReader(Options o) {
        this.o = o;
    }

    /** Reads entries up to the end marker, then the id lists (unless names are numeric). */
    public Received read(WireInput in, boolean numericIds) throws IOException {
        return read(in, numericIds, Budget.NONE);
    }

    public Received read(WireInput in, boolean numericIds, Budget budget) throws IOException {
        return read(in, numericIds, budget, e -> { });
    }

    /** What sees each entry as soon as it is read and checked. */
    public interface Arrivals {
        void arrived(Entry e) throws RsyncException;
    }

    /** The same, handing each entry to {@code arrived} as soon as it is read and checked. */
    public Received read(WireInput in, boolean numericIds, Budget budget, Arrivals arrived)
            throws IOException {
        List<Entry> entries = new ArrayList<>();
        int ioError = 0;
        while (true) {
            int xflags = readFlags(in);
            if (xflags == 0) {
                if (o.varintFlags) {
                    ioError = in.readVarint();
                }
                break;
            }
            if (!o.varintFlags && xflags == (Xmit.EXTENDED_FLAGS | Xmit.IO_ERROR_ENDLIST)) {
                ioError = in.readVarint();
                break;
            }
            if (entries.size() >= MAX_ENTRIES) {
                throw RsyncException.protocol("file list longer than " + MAX_ENTRIES + " entries");
            }
            Entry e = readEntry(in, xflags, entries);
            budget.charge(entries.size() + 1, ENTRY_BYTES + 2L * e.path().length()
                    + (e.linkTarget() == null || e.hardLinkFirst() >= 0 ? 0 : e.linkTarget().length)
                    + (e.checksum() == null || e.hardLinkFirst() >= 0 ? 0 : e.checksum().length));
            entries.add(e);
            arrived.arrived(e);
        }
        Map<Integer, String> users = new LinkedHashMap<>();
        Map<Integer, String> groups = new LinkedHashMap<>();
        if (!numericIds) {
            if (o.uids) {
                readIds(in, users);
            }
            if (o.gids) {
                readIds(in, groups);
            }
        }
        return new Received(entries, ioError, users, groups);
    }

    private int readFlags(WireInput in) throws IOException {
        if (o.varintFlags) {
            return in.readVarint();
        }
        int flags = in.readByte();
        if ((flags & Xmit.EXTENDED_FLAGS) != 0) {
            flags |= in.readByte() << 8;
        }
        return flags;
    }

    private Entry readEntry(WireInput in, int xflags, List<Entry> entries) throws IOException {
        int l1 = (xflags & Xmit.SAME_NAME) != 0 ? in.readByte() : 0;
        int l2 = (xflags & Xmit.LONG_NAME) != 0 ? in.readVarint() : in.readByte();
        if (l1 > lastName.length) {
            throw RsyncException.protocol("name prefix of " + l1 + " bytes is longer than the previous name");
        }
        if (l2 < 0 || l1 + l2 >= Limits.MAX_PATH) {
            throw RsyncException.protocol("file name too long (" + l1 + " + " + l2 + " bytes)");
        }
        byte[] name = new byte[l1 + l2];
        System.arraycopy(lastName, 0, name, 0, l1);
        in.readFully(name, l1, l2);
        lastName = name;
        String path = safeName(name);

        int first = -1;
        if ((xflags & Xmit.HLINKED) != 0) {
            if (!o.hardLinks) {
                throw RsyncException.protocol("hard-link flag on " + path + " though -H is off");
            }
            if ((xflags & Xmit.HLINK_FIRST) == 0) {
                first = in.readVarint();
                if (first < 0 || first >= entries.size()) {
                    throw RsyncException.protocol("hard-link reference out of range: " + first + " ("
                            + entries.size() + ")");
                }
                Entry f = entries.get(first);
                if (f.isDirectory() || f.hardLinkFirst() >= 0) {
                    throw RsyncException.protocol("hard-link reference " + first + " is not a group's first file");
                }
                // the abbreviated entry is its group's first member under another name
                mode = f.mode();
                mtime = f.mtime();
                uid = f.uid();
                gid = f.gid();
                return new Entry(path, xflags, f.mode(), f.size(), f.mtime(), f.mtimeNsec(), f.uid(), f.gid(),
                        f.rdevMajor(), f.rdevMinor(), f.linkTarget(), first, f.checksum());
            }
        }
        long size = in.readVarlong(3);
        if (size < 0) {
            throw RsyncException.protocol("negative size for " + path);
        }
        if ((xflags & Xmit.SAME_TIME) == 0) {
            mtime = in.readVarlong(4);
        }
        int nsec = 0;
        if ((xflags & Xmit.MOD_NSEC) != 0) {
            nsec = in.readVarint();
            if (nsec < 0 || nsec > 999_999_999) {
                throw RsyncException.protocol("invalid nanoseconds " + nsec + " for " + path);
            }
        }
        if ((xflags & Xmit.SAME_MODE) == 0) {
            mode = in.readInt();
        }
        int type = mode & FileEntry.S_IFMT;
        if (type != FileEntry.S_IFDIR && type != FileEntry.S_IFREG && type != FileEntry.S_IFLNK
                && type != FileEntry.S_IFCHR && type != FileEntry.S_IFBLK && type != FileEntry.S_IFIFO
                && type != FileEntry.S_IFSOCK) {
            throw RsyncException.protocol("invalid file type in mode 0" + Integer.toOctalString(mode) + " for "
                    + path);
        }
        if (path.equals(".") && type != FileEntry.S_IFDIR) {
            throw RsyncException.protocol("the \".\" entry is not a directory");
        }
        if (o.uids && (xflags & Xmit.SAME_UID) == 0) {
            uid = in.readVarint();
            if ((xflags & Xmit.USER_NAME_FOLLOWS) != 0) {
                in.readBytes(in.readByte(), 255, "user name");
            }
        }
        if (o.gids && (xflags & Xmit.SAME_GID) == 0) {
            gid = in.readVarint();
            if ((xflags & Xmit.GROUP_NAME_FOLLOWS) != 0) {
                in.readBytes(in.readByte(), 255, "group name");
            }
        }
        boolean device = type == FileEntry.S_IFCHR || type == FileEntry.S_IFBLK;
        boolean special = type == FileEntry.S_IFIFO || type == FileEntry.S_IFSOCK;
        long minor = 0;
        if ((o.devices && device) || (o.specials && special && o.protocol < 31)) {
            if ((xflags & Xmit.SAME_RDEV_MAJOR) == 0) {
                rdevMajor = in.readVarint() & 0xffffffffL;
            }
            minor = in.readVarint() & 0xffffffffL;
        }
        byte[] target = null;
        if (o.links && type == FileEntry.S_IFLNK) {
            int len = in.readVarint();
            if (len <= 0 || len >= Limits.MAX_PATH) {
                throw RsyncException.protocol("invalid symlink length " + len + " for " + path);
            }
            target = in.readBytes(len, Limits.MAX_PATH, "symlink target");
        }
        byte[] sum = null;
        if (o.checksumLength > 0 && type == FileEntry.S_IFREG) {
            sum = in.readBytes(o.checksumLength, Limits.MAX_DIGEST, "file checksum");
        }
        return new Entry(path, xflags, mode, size, mtime, nsec, uid, gid, rdevMajor, minor, target, -1, sum);
    }

    /**
     * Refuses names that could leave the destination or alias another entry: a leading "/", and any "..", "."
     * or empty component (flist.c clean_fname with CFN_REFUSE_DOT_DOT_DIRS would collapse "x/." to "x"; a name
     * that is not already clean is refused instead, so no two spellings of one path reach the receiver). The
     * top directory "." alone is the one name made of a dot.
     */
    private static String safeName(byte[] name) throws RsyncException {
        for (byte b : name) {
            if (b == 0) {
                throw new RsyncException(ExitCode.UNSUPPORTED, "ABORTING due to unsafe pathname from sender:"
                        + " a name contains a NUL byte");
            }
        }
        String path = Names.decode(name); // every byte kept: rsync names need not be UTF-8
        if (path.isEmpty() || path.startsWith("/")) {
            throw new RsyncException(ExitCode.UNSUPPORTED, "ABORTING due to unsafe pathname from sender: " + path);
        }
        if (path.equals(".")) {
            return path;
        }
        for (String part : path.split("/", -1)) {
            if (part.equals("..") || part.equals(".") || part.isEmpty()) {
                throw new RsyncException(ExitCode.UNSUPPORTED, "ABORTING due to unsafe pathname from sender: "
                        + path);
            }
        }
        return path;
    }

    private void readIds(WireInput in, Map<Integer, String> into) throws IOException {
        for (int n = 0; n < MAX_IDS; n++) {
            int id = in.readVarint();
            if (id == 0) {
                if (o.id0Names) {
                    in.readBytes(in.readByte(), 255, "id name");
                }
                return;
            }
            int len = in.readByte();
            into.put(id, len == 0 ? null : new String(in.readBytes(len, 255, "id name"), StandardCharsets.UTF_8));
        }
        throw RsyncException.protocol("more than " + MAX_IDS + " user or group names");
    }
}
