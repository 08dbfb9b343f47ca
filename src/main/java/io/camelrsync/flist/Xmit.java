package io.camelrsync.flist;

/** File-list entry flags (rsync.h XMIT_*). */
public final class Xmit {
    public static final int TOP_DIR = 1;
    public static final int SAME_MODE = 1 << 1;
    public static final int EXTENDED_FLAGS = 1 << 2;
    public static final int SAME_UID = 1 << 3;
    public static final int SAME_GID = 1 << 4;
    public static final int SAME_NAME = 1 << 5;
    public static final int LONG_NAME = 1 << 6;
    public static final int SAME_TIME = 1 << 7;
    public static final int SAME_RDEV_MAJOR = 1 << 8;
    public static final int NO_CONTENT_DIR = 1 << 8;
    public static final int HLINKED = 1 << 9;
    public static final int USER_NAME_FOLLOWS = 1 << 10;
    public static final int GROUP_NAME_FOLLOWS = 1 << 11;
    public static final int HLINK_FIRST = 1 << 12;
    public static final int IO_ERROR_ENDLIST = 1 << 12;
    public static final int MOD_NSEC = 1 << 13;
    public static final int SAME_ATIME = 1 << 14;

    private Xmit() {
    }
}
