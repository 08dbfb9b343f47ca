package io.camelrsync.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Every entry of a directory tree as rsync -aH preserves it: type, size, content digest, permission bits,
 * mtime, owner, link target, and hard-link groups. Two trees are equal when their snapshots are. Names and link
 * targets are keyed by their bytes ({@link NameBytes#key}): Path.toString() would print two names that differ
 * only in invalid UTF-8 the same.
 */
public final class TreeSnapshot {
    public record Entry(String type, long size, String digest, int perms, long mtimeSeconds, int uid, int gid,
                        String linkTarget) {
        String printable() {
            return "Entry[" + type + " size=" + size + " sha256=" + (digest.length() > 12 ? digest.substring(0, 12)
                    : digest) + " perms=" + Integer.toOctalString(perms) + " mtime=" + mtimeSeconds + " uid=" + uid
                    + " gid=" + gid + (linkTarget.isEmpty() ? "" : " -> " + NameBytes.printable(linkTarget)) + "]";
        }
    }

    /** The digest of a file this process may not read. */
    public static final String UNREADABLE = "unreadable";

    private final Map<String, Entry> entries = new TreeMap<>();
    private final Set<Set<String>> linkGroups = new TreeSet<>((a, b) -> a.toString().compareTo(b.toString()));

    public static TreeSnapshot of(Path root) throws IOException {
        TreeSnapshot s = new TreeSnapshot();
        Map<Object, Set<String>> byInode = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        byte[] rootBytes = NameBytes.of(root);
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (p.equals(root)) {
                    continue; // the module root's own attributes belong to the daemon config, not the push
                }
                String rel = NameBytes.key(NameBytes.relative(rootBytes, p));
                Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) a.get("mode");
                String type = switch (mode & 0170000) {
                    case 0040000 -> "dir";
                    case 0100000 -> "file";
                    case 0120000 -> "symlink";
                    case 0010000 -> "fifo";
                    case 0140000 -> "socket";
                    case 0020000 -> "char device " + a.get("rdev");
                    case 0060000 -> "block device " + a.get("rdev");
                    default -> "other";
                };
                String digest = type.equals("file") ? digestOrUnreadable(p) : "";
                String target = type.equals("symlink")
                        ? NameBytes.key(NameBytes.linkTarget(Files.readSymbolicLink(p))) : "";
                long mtime = ((FileTime) a.get("lastModifiedTime")).toMillis() / 1000;
                long size = type.equals("file") ? (Long) a.get("size") : 0;
                s.entries.put(rel, new Entry(type, size, digest, mode & 07777, mtime, (Integer) a.get("uid"),
                        (Integer) a.get("gid"), target));
                if (type.equals("file") && (Integer) a.get("nlink") > 1) {
                    byInode.computeIfAbsent(a.get("ino"), k -> new TreeSet<>()).add(rel);
                }
            }
        }
        byInode.values().stream().filter(g -> g.size() > 1).forEach(s.linkGroups::add);
        return s;
    }

    /** The regular files this process could not read (permission denied); their digest is {@link #UNREADABLE}. */
    public Set<String> unreadable() {
        Set<String> keys = new TreeSet<>();
        entries.forEach((k, v) -> {
            if (v.digest().equals(UNREADABLE)) {
                keys.add(k);
            }
        });
        return keys;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Set<Set<String>> linkGroups() {
        return linkGroups;
    }

    /** Asserts entry-by-entry equality and reports every difference at once. */
    public static void assertSameTree(Path expected, Path actual) throws IOException {
        assertSame(of(expected), of(actual));
    }

    /**
     * The same, the mtimes of the directories at and below {@code under} ("" for all) left out: where the
     * receiver does not set them (rsync's --omit-dir-times) or changes them after setting them (a backup moved
     * into a directory it has just made), they are the clock's, not the push's.
     */
    public static void assertSameTreeExceptDirTimes(Path expected, Path actual, String under) throws IOException {
        assertSame(withoutDirTimes(of(expected), under), withoutDirTimes(of(actual), under));
    }

    private static TreeSnapshot withoutDirTimes(TreeSnapshot s, String under) {
        s.entries.replaceAll((k, e) -> e.type().equals("dir")
                && (under.isEmpty() || k.equals(under) || k.startsWith(under + "/"))
                ? new Entry(e.type(), e.size(), e.digest(), e.perms(), 0, e.uid(), e.gid(), e.linkTarget()) : e);
        return s;
    }

    private static void assertSame(TreeSnapshot e, TreeSnapshot a) {
        assertEquals("", String.join("\n", differences(e, a)), "trees differ");
    }

    /** Every difference, one a line, names printable ({@link NameBytes#printable}); empty when the trees are equal. */
    public static List<String> differences(TreeSnapshot e, TreeSnapshot a) {
        List<String> diffs = new ArrayList<>();
        for (String k : union(e.entries.keySet(), a.entries.keySet())) {
            Entry x = e.entries.get(k);
            Entry y = a.entries.get(k);
            if (x == null) {
                diffs.add("extra on target: " + NameBytes.printable(k));
            } else if (y == null) {
                diffs.add("missing on target: " + NameBytes.printable(k));
            } else if (!x.equals(y)) {
                diffs.add(NameBytes.printable(k) + ": expected " + x.printable() + " but was " + y.printable());
            }
        }
        if (!e.linkGroups.toString().equals(a.linkGroups.toString())) {
            diffs.add("hard-link groups differ: expected " + NameBytes.printable(e.linkGroups.toString())
                    + " but was " + NameBytes.printable(a.linkGroups.toString()));
        }
        return diffs;
    }

    /** This snapshot without the given entries (and without them in its hard-link groups). */
    public TreeSnapshot without(Set<String> keys) {
        TreeSnapshot s = new TreeSnapshot();
        entries.forEach((k, v) -> {
            if (!keys.contains(k)) {
                s.entries.put(k, v);
            }
        });
        for (Set<String> g : linkGroups) {
            Set<String> kept = new TreeSet<>(g);
            kept.removeAll(keys);
            if (kept.size() > 1) {
                s.linkGroups.add(kept);
            }
        }
        return s;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new TreeSet<>(a);
        u.addAll(b);
        return u;
    }

    private static String digestOrUnreadable(Path p) throws IOException {
        try {
            return sha256(p);
        } catch (java.nio.file.AccessDeniedException e) {
            return UNREADABLE; // chmod 000 as a user other than root: rsync leaves such a file out (exit 23)
        }
    }

    /** The content digest of a regular file (never through a symlink). */
    public static String sha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
