package io.camelrsync.mirror;

import io.camelrsync.flist.FileStat;
import io.camelrsync.flist.RawNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * The names of each hard-linked file of the source, by file key (device and inode), for mirrors that keep hard
 * links (-H). A write through one name changes every name, but inotify reports only the name written through, and
 * rsync links a group on the receiver only when all of its names are in one session. So a batch that touches a
 * linked file pushes every name of its group, each transferred whatever its size and mtime say (-I), instead of a
 * full sync, whose quick check may skip a same-size rewrite within the same second.
 *
 * <p>The index is filled by the start-up walk ({@link DirectoryIndex#rebuild()}) and by each event's stat, so a
 * name written through and deleted at once still leads to its partners. A group whose known names are fewer than
 * its link count is completed by a walk of the tree (a link made after start-up to a file filed nowhere); a count
 * the walk could not reach (a name outside the source) is remembered, so that group is not walked again.
 *
 * <p>Memory is one entry per linked name, up to {@link #MAX_NAMES}; past that the index gives up and the mirror
 * falls back to full syncs for linked files.
 */
public class HardLinkIndex {
    static final int MAX_NAMES = 1_000_000;

    private int maxNames = MAX_NAMES;
    private Path source;
    private boolean enabled = true;
    /** Relative path to the key of the linked file it named when last seen. */
    private final NavigableMap<String, Object> keyByPath = new TreeMap<>();
    private final Map<Object, Group> groups = new HashMap<>();
    /** More names than MAX_NAMES were seen: the groups are incomplete until the next rebuild. */
    private boolean overflowed;

    /** The names of one linked file. */
    private static final class Group {
        final Set<String> names = new LinkedHashSet<>();
        /** The link count last seen (a name that only a walk can reach is never stat'ed on its own). */
        int links;
        /** The link count at which the tree was last walked for this group's names; -1 when never walked. */
        int walkedLinks = -1;
    }

    /** Forgets everything: the start-up walk (or a re-watch) files the tree again. */
    synchronized void clear() {
        keyByPath.clear();
        groups.clear();
        overflowed = false;
    }

    /** The walk met a file: filed when it is a regular file with other names. */
    synchronized void walked(String rel, Path file, BasicFileAttributes attrs) {
        int links = enabled && attrs.isRegularFile() ? FileStat.linkCount(file, attrs) : 1;
        if (links > 1) {
            file(rel, attrs.fileKey(), links);
        }
    }

    /**
     * An event named {@code rel}: files it under {@code key} when it is now a regular file with {@code links} > 1
     * (else forgets it). Returns the keys whose content the event may have changed through this name: the file it
     * names now and the file it named before, when either is linked.
     */
    synchronized Set<Object> seen(String rel, Object key, int links) {
        if (!enabled) {
            return Set.of();
        }
        Set<Object> touched = new HashSet<>(2);
        Object before = forget(rel);
        if (before != null) {
            touched.add(before);
        }
        if (key != null && links > 1) {
            file(rel, key, links);
            touched.add(key);
        }
        return touched;
    }

    /**
     * Every name the files of {@code keys} have in the tree now, walking the tree once for the groups whose known
     * names fall short of their link count; null when the index overflowed (a full sync is the way left).
     */
    synchronized Set<String> names(Collection<Object> keys) {
        if (overflowed) {
            return null;
        }
        Set<String> names = new TreeSet<>();
        Map<Object, Integer> incomplete = new HashMap<>();
        for (Object key : keys) {
            Group g = groups.get(key);
            if (g == null) {
                continue;
            }
            int links = g.links;
            int verified = 0;
            for (Iterator<String> it = g.names.iterator(); it.hasNext(); ) {
                String rel = it.next();
                if (rel.indexOf('\uFFFD') >= 0) {
                    names.add(rel); // bytes a String cannot name: the change set lists its directory whole
                    continue;
                }
                Now now = Now.of(source.resolve(rel));
                if (now == null || !key.equals(now.key)) {
                    it.remove(); // moved or replaced since: the name no longer belongs here
                    keyByPath.remove(rel, key);
                } else {
                    names.add(rel);
                    links = now.links;
                    verified++;
                }
            }
            g.links = links;
            if (g.names.isEmpty()) {
                groups.remove(key);
            } else if (verified < links && g.walkedLinks != links) {
                // names shown with U+FFFD cannot be checked: they may be stale, so they count for nothing here
                incomplete.put(key, links);
            }
        }
        if (!incomplete.isEmpty()) {
            for (Object key : incomplete.keySet()) { // the walk files again those that still exist
                new ArrayList<>(groups.get(key).names).stream().filter(n -> n.indexOf('\uFFFD') >= 0)
                        .forEach(n -> {
                            names.remove(n);
                            forget(n);
                        });
            }
            walkFor(incomplete);
            if (overflowed) {
                return null;
            }
            for (Map.Entry<Object, Integer> e : incomplete.entrySet()) {
                Group g = groups.get(e.getKey());
                if (g != null) { // null: its only names were ones the walk no longer found
                    g.walkedLinks = e.getValue();
                    names.addAll(g.names);
                }
            }
        }
        return names;
    }

    /**
     * Files anew the linked files below {@code tree}, a directory the change set lists whole (rsync replaces each
     * of its files on the receiver, so their names elsewhere must be in the session too); returns their keys.
     */
    synchronized Set<Object> walkTree(String tree) {
        if (!enabled || overflowed) {
            return Set.of();
        }
        Map<String, Object> below = keyByPath.subMap(tree + "/", true, tree + "0", false); // '0' follows '/'
        new ArrayList<>(below.keySet()).forEach(this::forget);
        Set<Object> keys = new HashSet<>();
        walk(RawNames.resolve(source, tree), (file, attrs) -> {
            int links = attrs.isRegularFile() ? FileStat.linkCount(file, attrs) : 1;
            if (links > 1) {
                file(relative(file), attrs.fileKey(), links);
                keys.add(attrs.fileKey());
            }
        });
        return keys;
    }

    private void walkFor(Map<Object, Integer> keys) {
        walk(source, (file, attrs) -> {
            if (attrs.isRegularFile() && keys.containsKey(attrs.fileKey())) {
                file(relative(file), attrs.fileKey(), keys.get(attrs.fileKey()));
            }
        });
    }

    private static void walk(Path top, BiConsumer<Path, BasicFileAttributes> visitor) {
        try {
            Files.walkFileTree(top, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    visitor.accept(file, attrs);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // vanished or unreadable: the push reports it, if it matters
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                    return FileVisitResult.CONTINUE; // a directory that vanished while read: the same
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void file(String rel, Object key, int links) {
        Object before = keyByPath.put(rel, key);
        if (before != null && !before.equals(key)) {
            dropName(before, rel);
        }
        Group g = groups.computeIfAbsent(key, k -> new Group());
        g.names.add(rel);
        g.links = links;
        if (keyByPath.size() > maxNames) {
            overflowed = true;
            keyByPath.clear();
            groups.clear();
        }
    }

    private Object forget(String rel) {
        Object key = keyByPath.remove(rel);
        if (key != null) {
            dropName(key, rel);
        }
        return key;
    }

    private void dropName(Object key, String rel) {
        Group g = groups.get(key);
        if (g != null) {
            g.names.remove(rel);
            if (g.names.isEmpty()) {
                groups.remove(key);
            }
        }
    }

    private String relative(Path file) {
        return source.relativize(file).toString();
    }

    /** A name's file key and link count now; null when it is not a regular file. */
    private record Now(Object key, int links) {
        static Now of(Path p) {
            try {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,nlink,fileKey", LinkOption.NOFOLLOW_LINKS);
                return ((Integer) a.get("mode") & 0170000) == 0100000
                        ? new Now(a.get("fileKey"), (Integer) a.get("nlink")) : null;
            } catch (IOException e) {
                return null;
            }
        }
    }

    public void setSource(String source) {
        this.source = Path.of(source).toAbsolutePath().normalize();
    }

    public String getSource() {
        return source == null ? null : source.toString();
    }

    void setMaxNames(int maxNames) {
        this.maxNames = maxNames;
    }

    /** False when the mirror does not keep hard links: nothing is filed. */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean isEnabled() {
        return enabled;
    }
}
