package io.camelrsync.protocol;

/** Itemize flags the generator sends with each file index (rsync.h ITEM_*). */
public final class ItemFlags {
    public static final int REPORT_CHANGE = 1 << 1;
    public static final int REPORT_SIZE = 1 << 2;
    public static final int REPORT_TIME = 1 << 3;
    public static final int REPORT_PERMS = 1 << 4;
    public static final int REPORT_OWNER = 1 << 5;
    public static final int REPORT_GROUP = 1 << 6;
    public static final int BASIS_TYPE_FOLLOWS = 1 << 11;
    public static final int XNAME_FOLLOWS = 1 << 12;
    public static final int IS_NEW = 1 << 13;
    public static final int LOCAL_CHANGE = 1 << 14;
    public static final int TRANSFER = 1 << 15;

    private ItemFlags() {
    }
}
