package io.camelrsync.receiver;

import io.camelrsync.fs.Names;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * rsync's --fuzzy (generator.c find_fuzzy, util1.c fuzzy_distance and find_filename_suffix): for a file missing
 * on the receiver, a regular file of its directory (with -yy, of the same directory in each alt dir too) to
 * rebuild it from: the first of equal size and whole-second mtime, else the one whose name is nearest.
 */
final class Fuzzy {
    /** util1.c UNIT: one Levenshtein step; the byte values weigh in below it. */
    private static final long UNIT = 1 << 16;

    private Fuzzy() {
    }

    /** A file of a directory listing that may serve (get_dirlist: non-empty regular files only are kept). */
    static final class Candidate {
        final String name;
        final byte[] bytes;
        final long size;
        final long mtime;
        /** FLAG_FILE_SENT: it is being replaced in this session, so it is no basis for another file. */
        boolean sent;

        Candidate(String name, long size, long mtime) {
            this.name = name;
            this.bytes = Names.encode(name);
            this.size = size;
            this.mtime = mtime;
        }
    }

    /** A candidate found, and which list it came from (0: the destination's directory, i: alt dir i - 1). */
    record Found(int list, Candidate candidate) {
    }

    /** generator.c find_fuzzy over {@code lists} (each in rsync's order; null entries are skipped). */
    static Found find(List<List<Candidate>> lists, String name, long size, long mtime) {
        for (int i = 0; i < lists.size(); i++) {
            if (lists.get(i) == null) {
                continue;
            }
            for (Candidate c : lists.get(i)) {
                if (!c.sent && c.size == size && c.mtime == mtime) {
                    return new Found(i, c);
                }
            }
        }
        byte[] fname = Names.encode(name);
        int[] fsuf = suffix(fname);
        long lowest = 25 * UNIT; // a distance greater than 25 is ignored
        Found found = null;
        for (int i = 0; i < lists.size(); i++) {
            if (lists.get(i) == null) {
                continue;
            }
            for (Candidate c : lists.get(i)) {
                if (c.sent) {
                    continue;
                }
                int[] suf = suffix(c.bytes);
                long dist = distance(c.bytes, 0, c.bytes.length, fname, 0, fname.length, lowest);
                if (dist < 0xFFFF0000L) { // the suffixes weigh in, unless the heuristic has disqualified it
                    dist += distance(c.bytes, suf[0], suf[1], fname, fsuf[0], fsuf[1], 0xFFFF0000L) * 10;
                }
                if (dist <= lowest) {
                    lowest = dist;
                    found = new Found(i, c);
                }
            }
        }
        return found;
    }

    /**
     * util1.c find_filename_suffix: {start, length} of the last significant suffix of {@code fn} (with its dot),
     * {0, 0} for none. Leading dots are no suffix, a trailing "~" is ignored, ".bak", ".old", ".orig" and "~1"
     * style suffixes are skipped, and an all-digit suffix gives way to a significant one before it.
     */
    static int[] suffix(byte[] fn) {
        int start = 0;
        int len = fn.length;
        while (len > 0 && fn[start] == '.') {
            start++;
            len--;
        }
        boolean hadTilde = false;
        if (len > 1 && fn[start + len - 1] == '~') {
            len--;
            hadTilde = true;
        }
        int suf = 0;
        int sufLen = 0;
        int s = start + len;
        while (len > 1) {
            do {
                s--;
            } while (fn[s] != '.' && s != start);
            if (s == start) {
                break;
            }
            int sLen = len - (s - start);
            len = s - start;
            // strcmp(s+1, ...): the rest of the whole name, a trailing "~" included
            if (sLen == 4) {
                if (restIs(fn, s + 1, "bak") || restIs(fn, s + 1, "old")) {
                    continue;
                }
            } else if (sLen == 5) {
                if (restIs(fn, s + 1, "orig")) {
                    continue;
                }
            } else if (sLen > 2 && hadTilde && fn[s + 1] == '~' && isDigit(fn[s + 2])) {
                continue;
            }
            suf = s;
            sufLen = sLen;
            if (sLen == 1) {
                break;
            }
            boolean digits = true;
            for (int k = s + 1; k < s + sLen; k++) {
                if (!isDigit(fn[k])) {
                    digits = false;
                    break;
                }
            }
            if (!digits) {
                break;
            }
            // an all-digit suffix may not be that significant: look for one before it
        }
        return new int[] {suf, sufLen};
    }

    private static boolean restIs(byte[] fn, int from, String word) {
        return fn.length - from == word.length()
                && new String(fn, from, word.length(), StandardCharsets.ISO_8859_1).equals(word);
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /**
     * util1.c fuzzy_distance: a Levenshtein distance in UNITs, each substitution, insertion and deletion also
     * weighted by the byte values involved; more than {@code upperLimit} by length alone is 0xFFFF UNITs + 1.
     */
    static long distance(byte[] b1, int off1, int len1, byte[] b2, int off2, int len2, long upperLimit) {
        if (Math.abs(len1 - len2) * UNIT > upperLimit) {
            return 0xFFFFL * UNIT + 1;
        }
        if (len1 == 0 || len2 == 0) {
            byte[] b = len1 == 0 ? b2 : b1;
            int off = len1 == 0 ? off2 : off1;
            int len = len1 == 0 ? len2 : len1;
            long cost = 0;
            for (int i = 0; i < len; i++) {
                cost += b[off + i]; // a signed char in rsync's sum
            }
            return len * UNIT + cost;
        }
        long[] a = new long[len2];
        for (int i2 = 0; i2 < len2; i2++) {
            a[i2] = (i2 + 1) * UNIT;
        }
        for (int i1 = 0; i1 < len1; i1++) {
            long diag = i1 * UNIT;
            long above = (i1 + 1) * UNIT;
            int c1 = b1[off1 + i1] & 0xff;
            for (int i2 = 0; i2 < len2; i2++) {
                long left = a[i2];
                int c2 = b2[off2 + i2] & 0xff;
                long cost = c1 - c2;
                if (cost != 0) {
                    cost = cost < 0 ? UNIT - cost : UNIT + cost;
                }
                long diagInc = diag + cost;
                long leftInc = left + UNIT + c1;
                long aboveInc = above + UNIT + c2;
                a[i2] = above = left < above ? Math.min(leftInc, diagInc) : Math.min(aboveInc, diagInc);
                diag = left;
            }
        }
        return a[len2 - 1];
    }
}
