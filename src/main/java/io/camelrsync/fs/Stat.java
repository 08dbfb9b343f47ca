package io.camelrsync.fs;

/**
 * What one statx says about an entry: all the receiver's comparisons need. {@code key} (device and inode)
 * identifies the file, so hard links can be recognised.
 */
public record Stat(int mode, int uid, int gid, long size, long mtimeSeconds, int mtimeNanos, int nlink,
                   long rdevMajor, long rdevMinor, long dev, long ino) {
    public static final int S_IFMT = 0170000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;

    /** Decodes struct statx (a fixed layout on every architecture, unlike struct stat). */
    static Stat decode(byte[] b) {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.nativeOrder());
        int nlink = bb.getInt(16);
        int uid = bb.getInt(20);
        int gid = bb.getInt(24);
        int mode = bb.getShort(28) & 0xffff;
        long ino = bb.getLong(32);
        long size = bb.getLong(40);
        long mtime = bb.getLong(112);
        int mnsec = bb.getInt(120);
        long rdevMajor = bb.getInt(128) & 0xffffffffL;
        long rdevMinor = bb.getInt(132) & 0xffffffffL;
        long dev = ((bb.getInt(136) & 0xffffffffL) << 32) | (bb.getInt(140) & 0xffffffffL);
        return new Stat(mode, uid, gid, size, mtime, mnsec, nlink, rdevMajor, rdevMinor, dev, ino);
    }

    public int type() {
        return mode & S_IFMT;
    }

    public boolean isDirectory() {
        return type() == S_IFDIR;
    }

    public boolean isRegular() {
        return type() == S_IFREG;
    }

    public boolean isSymlink() {
        return type() == S_IFLNK;
    }

    public boolean sameFile(Stat o) {
        return o != null && dev == o.dev && ino == o.ino;
    }
}
