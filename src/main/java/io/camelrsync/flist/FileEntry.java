package io.camelrsync.flist;

import io.camelrsync.fs.Names;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** One entry of the file list: what the sender knows about a local file, in wire terms. */
public final class FileEntry {
    public static final int S_IFMT = 0170000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFIFO = 0010000;
    public static final int S_IFSOCK = 0140000;

    /** Relative path with '/' separators; "." for the transfer root. */
    public final String path;
    public final byte[] name;
    public final Path source;
    public final int mode;
    public final long size;
    public final long mtime;
    public final int mtimeNsec;
    public final int uid;
    public final int gid;
    public final long rdev;
    public final long dev;
    public final long ino;
    public final int nlink;
    /** Symlink target bytes, or null. */
    public final byte[] linkTarget;
    /**
     * Directory whose contents are listed in full, so the receiver may delete what is not listed. Other
     * directories go as plain no-content entries, never as rsync's "implied" ones (TOP_DIR|NO_CONTENT_DIR):
     * a receiver without --relative neither creates those nor restores their mtime.
     */
    private boolean contentDir;

    public FileEntry(String path, Path source, int mode, long size, long mtime, int mtimeNsec, int uid, int gid,
                     long rdev, long dev, long ino, int nlink, byte[] linkTarget) {
        this.path = path;
        this.name = Names.encode(path);
        this.source = source;
        this.mode = mode;
        this.size = size;
        this.mtime = mtime;
        this.mtimeNsec = mtimeNsec;
        this.uid = uid;
        this.gid = gid;
        this.rdev = rdev;
        this.dev = dev;
        this.ino = ino;
        this.nlink = nlink;
        this.linkTarget = linkTarget;
    }

    public boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }

    public boolean isRegular() {
        return (mode & S_IFMT) == S_IFREG;
    }

    public boolean isSymlink() {
        return (mode & S_IFMT) == S_IFLNK;
    }

    public boolean isDevice() {
        int t = mode & S_IFMT;
        return t == S_IFCHR || t == S_IFBLK;
    }

    public boolean isSpecial() {
        int t = mode & S_IFMT;
        return t == S_IFIFO || t == S_IFSOCK;
    }

    public boolean isContentDir() {
        return contentDir;
    }

    void markContent() {
        contentDir = true;
    }

    /** The "." entry: the root of the transfer. */
    public boolean isTopDir() {
        return path.equals(".");
    }

    @Override
    public String toString() {
        return path;
    }
}
