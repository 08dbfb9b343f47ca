package io.camelrsync.receiver;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The paths one push changed, relative to the module's path, as rsync -i names them (a directory ends with /,
 * the module's own directory is ./): what a relay forwards. Bounded: past {@link #MAX_CHARS} characters of names
 * only the fact that some were left out is kept, so a push of a whole new tree costs no more memory than that.
 * The generator and the receiver thread of a session both record, so every method is synchronized.
 */
public final class ChangedPaths {
    /** Characters of path names kept per session (about 16 MiB of heap). */
    public static final long MAX_CHARS = 8L << 20;

    /** The push's destination below the module's path, "" or "sub/dir/". */
    private String prefix = "";
    /** Created or updated entries: content, attributes, a new link, in the order the receiver handled them. */
    private final Set<String> updated = new LinkedHashSet<>();
    /** Entries --delete removed. */
    private final Set<String> deleted = new LinkedHashSet<>();
    /** Characters held in both sets. */
    private long chars;
    /** False once a path was left out for the bound. */
    private boolean complete = true;

    public synchronized void prefix(List<String> destinationParts) {
        prefix = destinationParts.isEmpty() ? "" : String.join("/", destinationParts) + "/";
    }

    /** An entry of the file list ({@code rel} relative to the destination, "." for itself) was changed. */
    synchronized void updated(String rel, boolean directory) {
        add(updated, rel, directory);
    }

    /** An entry below the destination was deleted. */
    synchronized void deleted(String rel, boolean directory) {
        add(deleted, rel, directory);
    }

    private void add(Set<String> into, String rel, boolean directory) {
        if (!complete) {
            return;
        }
        String path = rel.equals(".") ? (prefix.isEmpty() ? "./" : prefix)
                : prefix + rel + (directory && !rel.endsWith("/") ? "/" : "");
        if (chars + path.length() > MAX_CHARS) {
            complete = false;
            updated.clear();
            deleted.clear();
            chars = 0;
            return;
        }
        if (into.add(path)) {
            chars += path.length();
        }
    }

    public synchronized List<String> updated() {
        return new ArrayList<>(updated);
    }

    public synchronized List<String> deleted() {
        return new ArrayList<>(deleted);
    }

    /** False when the push changed more than the bound kept: the lists are then empty, not partial. */
    public synchronized boolean complete() {
        return complete;
    }
}
