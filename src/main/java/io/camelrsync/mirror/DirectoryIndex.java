package io.camelrsync.mirror;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where each directory of the source is, by its file key (device and inode): inotify reports a rename as a
 * deletion and a creation without saying they are one move, so a created directory whose key the index holds under
 * another path was moved from there. The index also undoes a JDK quirk: a watch key keeps the path its directory had
 * when it was registered, so after a move, events inside the moved directory still name the old path; they are
 * translated to where the directory is now.
 *
 * <p>Memory is one entry per directory, as the watch itself costs one inotify watch per directory.
 */
public class DirectoryIndex {
    /** Old paths the watcher still reports (bounded; the oldest are forgotten first). */
    private static final int MAX_STALE_NAMES = 10_000;

    private Path source;
    /** Filed by the same walk: the names of hard-linked files (null when the mirror keeps no hard links). */
    private HardLinkIndex hardLinks;
    /** Relative path ("." for the root) to file key, sorted so a subtree is one range. */
    private final NavigableMap<String, Object> keyByPath = new TreeMap<>();
    private final Map<Object, String> pathByKey = new HashMap<>();
    /** How long the watcher's late reports of a moved tree's contents are recognised as such. */
    private static final Duration RECENT = Duration.ofMinutes(1);
    /** Directories found moved lately, with the time they were found. */
    private final Map<String, Instant> recentMoves = new HashMap<>();
    /** Deleted paths of the batch being collected that held directories. */
    private final Set<String> vanished = new HashSet<>();
    /** A path a directory had before it moved, as the watcher keeps reporting it, to that directory's key. */
    private final Map<String, Object> staleNames = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Object> eldest) {
            return size() > MAX_STALE_NAMES;
        }
    };

    /**
     * Reads every directory of the tree again (at start-up and when the watch is registered anew, which also
     * forgets the old paths of moved directories); returns how many there are.
     */
    public synchronized long rebuild() {
        keyByPath.clear();
        pathByKey.clear();
        vanished.clear();
        staleNames.clear();
        recentMoves.clear();
        if (hardLinks != null) {
            hardLinks.clear();
        }
        try {
            Files.walkFileTree(source, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    put(relative(dir), attrs.fileKey());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (hardLinks != null) {
                        hardLinks.walked(relative(file), file, attrs);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keyByPath.size();
    }

    /**
     * A directory was created at {@code rel} (key {@code key}): returns the path it had before when it was moved
     * from there (and files it, and everything below it, under the new path), else null (a new directory, filed).
     */
    public synchronized String created(String rel, Object key) {
        String old = pathByKey.get(key);
        if (old == null || old.equals(rel) || isBelow(rel, old)) {
            put(rel, key);
            return null;
        }
        Object there = keyAt(old);
        if (key.equals(there)) {
            put(rel, key); // still there too: a bind mount or a stale event, not a move
            return null;
        }
        NavigableMap<String, Object> subtree = keyByPath.subMap(old, true, old + '0', false); // '0' follows '/'
        List<Map.Entry<String, Object>> moved = new ArrayList<>();
        for (Map.Entry<String, Object> e : subtree.entrySet()) {
            if (e.getKey().equals(old) || e.getKey().startsWith(old + "/")) {
                moved.add(Map.entry(e.getKey(), e.getValue()));
            }
        }
        moved.forEach(e -> keyByPath.remove(e.getKey()));
        for (Map.Entry<String, Object> e : moved) {
            put(rel + e.getKey().substring(old.length()), e.getValue());
        }
        staleNames.put(old, key);
        recentMoves.put(rel, Instant.now());
        return old;
    }

    /**
     * Whether the index holds this directory at this path already: the watcher reports the directories of a new
     * or moved tree again when it walks it to register them, possibly in a later batch.
     */
    public synchronized boolean knows(String rel, Object key) {
        return key.equals(keyByPath.get(rel));
    }

    /** When the directory holding {@code rel} (or an ancestor of it) was found moved, in the last minute; else null. */
    public synchronized Instant movedAt(String rel) {
        if (recentMoves.isEmpty()) {
            return null;
        }
        Instant horizon = Instant.now().minus(RECENT);
        recentMoves.values().removeIf(t -> t.isBefore(horizon));
        for (String a = parentOf(rel); a != null; a = parentOf(a)) {
            Instant t = recentMoves.get(a);
            if (t != null) {
                return t;
            }
        }
        return null;
    }

    /**
     * A path was deleted. Its directories are kept until {@link #settle()}: the creation that pairs with the
     * deletion into a move comes just after it. True when a directory the index holds was deleted.
     */
    public synchronized boolean deleted(String rel) {
        return keyByPath.containsKey(rel) && vanished.add(rel);
    }

    /**
     * A batch is complete: forgets the directories deleted without being moved, so that a new directory that
     * reuses an inode is not taken for a moved one.
     */
    public synchronized void settle() {
        for (String rel : vanished) {
            if (keyByPath.containsKey(rel) && keyAt(rel) == null) {
                keyByPath.subMap(rel, true, rel + '0', false).entrySet().removeIf(e -> {
                    if (e.getKey().equals(rel) || e.getKey().startsWith(rel + "/")) {
                        pathByKey.remove(e.getValue(), e.getKey());
                        return true;
                    }
                    return false;
                });
            }
        }
        vanished.clear();
    }

    /**
     * Where the event path {@code rel} is now: itself, and, when it lies in a directory that moved since its watch
     * was registered, also the path in the directory's new place (both are named: naming a path only makes the
     * mirror look at it).
     */
    public synchronized List<String> whereNow(String rel) {
        if (staleNames.isEmpty()) {
            return List.of(rel);
        }
        for (String a = rel; a != null; a = parentOf(a)) {
            Object key = staleNames.get(a);
            if (key != null) {
                String now = pathByKey.get(key);
                if (now != null && !now.equals(a)) {
                    return List.of(rel, now + rel.substring(a.length()));
                }
                return List.of(rel);
            }
        }
        return List.of(rel);
    }

    private void put(String rel, Object key) {
        Object previous = keyByPath.put(rel, key);
        if (previous != null && !previous.equals(key)) {
            pathByKey.remove(previous, rel);
        }
        pathByKey.put(key, rel);
    }

    private Object keyAt(String rel) {
        try {
            return Files.readAttributes(source.resolve(rel), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private String relative(Path dir) {
        String r = source.relativize(dir).toString();
        return r.isEmpty() ? "." : r;
    }

    private static boolean isBelow(String path, String dir) {
        return path.startsWith(dir + "/");
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? null : path.substring(0, slash);
    }

    public void setSource(String source) {
        this.source = Path.of(source).toAbsolutePath().normalize();
    }

    public String getSource() {
        return source == null ? null : source.toString();
    }

    public void setHardLinks(HardLinkIndex hardLinks) {
        this.hardLinks = hardLinks;
    }

    public HardLinkIndex getHardLinks() {
        return hardLinks;
    }
}
