package io.camelrsync.flist;

import java.util.Comparator;

/**
 * rsync's file-list order within one directory (flist.c f_name_cmp, protocol >= 29): non-directories first,
 * then directories, each compared as unsigned bytes with a directory's name read as if it ended in '/'.
 * Emitting each directory's subtree right after it yields the whole list in the order the receiver sorts to,
 * so our transmission index is the receiver's file index.
 */
public final class SiblingOrder implements Comparator<FileEntry> {
    public static final SiblingOrder INSTANCE = new SiblingOrder();

    @Override
    public int compare(FileEntry a, FileEntry b) {
        boolean ad = a.isDirectory();
        boolean bd = b.isDirectory();
        if (ad != bd) {
            return ad ? 1 : -1;
        }
        return compareLast(a.name, ad, b.name, bd);
    }

    /** Compares the last path components of two entries of the same directory. */
    static int compareLast(byte[] a, boolean aDir, byte[] b, boolean bDir) {
        int as = lastSlash(a) + 1;
        int bs = lastSlash(b) + 1;
        int alen = a.length - as + (aDir ? 1 : 0);
        int blen = b.length - bs + (bDir ? 1 : 0);
        int n = Math.min(alen, blen);
        for (int i = 0; i < n; i++) {
            int ca = as + i < a.length ? a[as + i] & 0xff : '/';
            int cb = bs + i < b.length ? b[bs + i] & 0xff : '/';
            if (ca != cb) {
                return ca - cb;
            }
        }
        return alen - blen;
    }

    private static int lastSlash(byte[] p) {
        for (int i = p.length - 1; i >= 0; i--) {
            if (p[i] == '/') {
                return i;
            }
        }
        return -1;
    }
}
