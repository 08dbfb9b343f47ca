package io.camelrsync.flist;

/**
 * rsync's file-list order for whole paths (flist.c f_name_cmp, protocol >= 29), for a receiver that must sort
 * what it was sent: compare component by component; in the same directory non-directories come before
 * directories; names compare as unsigned bytes, a directory's as if it ended in '/'; a directory precedes
 * everything inside it; "." comes first.
 */
public final class FileListOrder {
    private FileListOrder() {
    }

    /** Compares two relative paths ("." for the root) given whether each is a directory. */
    public static int compare(byte[] a, boolean aDir, byte[] b, boolean bDir) {
        boolean aRoot = a.length == 1 && a[0] == '.';
        boolean bRoot = b.length == 1 && b[0] == '.';
        if (aRoot || bRoot) {
            return aRoot == bRoot ? 0 : aRoot ? -1 : 1;
        }
        int ai = 0;
        int bi = 0;
        while (true) {
            int aEnd = next(a, ai);
            int bEnd = next(b, bi);
            // a component is a "path" when more follows or the entry is a directory, else an "item"
            boolean aPath = aEnd < a.length || aDir;
            boolean bPath = bEnd < b.length || bDir;
            if (aPath != bPath) {
                return aPath ? 1 : -1;
            }
            int c = compareComponent(a, ai, aEnd, aPath, b, bi, bEnd);
            if (c != 0) {
                return c;
            }
            boolean aLast = aEnd >= a.length;
            boolean bLast = bEnd >= b.length;
            if (aLast || bLast) {
                return aLast == bLast ? 0 : aLast ? -1 : 1; // a directory before its contents
            }
            ai = aEnd + 1;
            bi = bEnd + 1;
        }
    }

    private static int next(byte[] p, int from) {
        int i = from;
        while (i < p.length && p[i] != '/') {
            i++;
        }
        return i;
    }

    private static int compareComponent(byte[] a, int as, int ae, boolean asPath, byte[] b, int bs, int be) {
        int alen = ae - as + (asPath ? 1 : 0);
        int blen = be - bs + (asPath ? 1 : 0);
        int n = Math.min(alen, blen);
        for (int i = 0; i < n; i++) {
            int ca = as + i < ae ? a[as + i] & 0xff : '/';
            int cb = bs + i < be ? b[bs + i] & 0xff : '/';
            if (ca != cb) {
                return ca - cb;
            }
        }
        return alen - blen;
    }
}
