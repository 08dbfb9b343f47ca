package io.camelrsync.flist;

import java.util.List;

/**
 * The file list in transmission (= receiver-sorted) order, plus rsync's io_error bits: any bit set makes the
 * receiver skip deletions, so a directory we could not read never causes its copy to be emptied. A change set's
 * scan also names what it deletes ({@code deleted}, wire paths) and the directories whose extras the receiver
 * may delete ({@code deletingIn}): only those names, never their siblings, which are not listed. Named paths
 * that could not be read ({@code unreadable}: permission denied, a name too long) are left out and reported; they
 * do not set io_error, which would make the receiver skip the deletions of the rest of the set. Nor do the
 * directories and entries of its trees that could not be read ({@code unlisted}): a rule protects each on the
 * receiver, with everything below it.
 */
public record ScanResult(List<FileEntry> entries, int ioError, List<String> deleted, List<String> deletingIn,
                         int unreadable, List<String> unlisted) implements EntrySource {
    public static final int IOERR_GENERAL = 1;
    public static final int IOERR_VANISHED = 2;

    public ScanResult(List<FileEntry> entries, int ioError) {
        this(entries, ioError, List.of(), List.of(), 0, List.of());
    }

    /**
     * Receiver rules that let --delete remove exactly the deleted names (exclude.c: "risk" before "protect",
     * the first match wins): {@code P /dir/***} for what could not be read, {@code R /dir/x} for each deleted
     * name, then {@code P /dir/*} for each directory they are in.
     */
    public List<String> deletionRules() {
        List<String> rules = new java.util.ArrayList<>();
        for (String u : unlisted) {
            rules.add("P /" + wildcardSafe(u) + "/***");
        }
        for (String d : deleted) {
            rules.add("R /" + literal(d));
        }
        for (String dir : deletingIn) {
            rules.add("P /" + (dir.equals(".") ? "" : wildcardSafe(dir) + "/") + "*");
        }
        return rules;
    }

    /** A name as a pattern that matches only itself (rsync treats "\\" as an escape only in wildcard patterns). */
    static String literal(String name) {
        return hasWildcard(name) ? wildcardSafe(name) : name;
    }

    private static String wildcardSafe(String name) {
        StringBuilder b = new StringBuilder(name.length() + 4);
        for (char c : name.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    private static boolean hasWildcard(String name) {
        return name.indexOf('*') >= 0 || name.indexOf('?') >= 0 || name.indexOf('[') >= 0;
    }

    @Override
    public void forEach(EntrySink sink) throws java.io.IOException {
        for (FileEntry e : entries) {
            sink.accept(e);
        }
    }
}
