package io.camelrsync.flist;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Relative paths that changed below a source root. A path that exists is sent (a directory with its whole
 * subtree when listed as a tree); a path that no longer exists is deleted on the receiver. The sender never
 * walks the rest of the tree, so a push costs O(changes), not O(tree).
 */
public final class ChangeSet {
    private final Set<String> paths;
    private final Set<String> trees;
    private final Map<String, String> moves;

    private ChangeSet(Set<String> paths, Set<String> trees, Map<String, String> moves) {
        this.paths = Collections.unmodifiableSet(paths);
        this.trees = Collections.unmodifiableSet(trees);
        this.moves = Collections.unmodifiableMap(moves);
    }

    public static ChangeSet of(Collection<String> paths) {
        return builder().addAll(paths).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Paths whose own entry changed (a directory: its attributes only). */
    public Set<String> paths() {
        return paths;
    }

    /** Directories to send with everything beneath them (new or moved-in trees). */
    public Set<String> trees() {
        return trees;
    }

    /**
     * Paths that were moved here, each with the path it had before (new path to old path). A pusher may send a
     * moved path with its old copy on the receiver as basis, before the deletion of the old path, so that its
     * bytes need not cross the wire again; otherwise it is sent as a tree. Paths below a moved path are the ones
     * changed after the move.
     */
    public Map<String, String> moves() {
        return moves;
    }

    /**
     * This set without moves: each of {@code sent} (moved paths already on the receiver) left out but for its
     * parent directory, whose mtime the move changed; the others as trees.
     */
    public ChangeSet withMovesSent(Set<String> sent) {
        Set<String> t = new LinkedHashSet<>(trees);
        Set<String> p = new LinkedHashSet<>(paths);
        moves.forEach((to, from) -> {
            if (!sent.contains(to)) {
                t.add(to); // not sent with its old copy as basis: it goes whole
            } else if (to.indexOf('/') > 0) {
                p.add(to.substring(0, to.lastIndexOf('/')));
            }
        });
        return new ChangeSet(p, t, new LinkedHashMap<>());
    }

    /**
     * True when this set asks for the whole tree ("." as a tree): a full sync, whose quick check decides what to
     * transfer. Its other paths and trees are ones known to have changed ({@link #known()}).
     */
    public boolean isWholeTree() {
        return trees.contains(".");
    }

    /** This set without the whole tree and without moves: what is known to have changed, to send as named. */
    public ChangeSet known() {
        Set<String> t = new LinkedHashSet<>(trees);
        t.remove(".");
        return new ChangeSet(new LinkedHashSet<>(paths), t, new LinkedHashMap<>());
    }

    public boolean isEmpty() {
        return paths.isEmpty() && trees.isEmpty() && moves.isEmpty();
    }

    public int size() {
        return paths.size() + trees.size() + moves.size();
    }

    /** Both sets, trees first, as "path" and "path/" (the text form the component and CLI accept). */
    public List<String> toLines() {
        List<String> out = new ArrayList<>();
        trees.forEach(t -> out.add(t + "/"));
        moves.keySet().forEach(t -> out.add(t + "/"));
        out.addAll(paths);
        return out;
    }

    @Override
    public String toString() {
        return "ChangeSet" + toLines() + (moves.isEmpty() ? "" : " moved " + moves);
    }

    /**
     * Normalizes user-supplied relative paths: no leading "./" or "/", no "..", no empty parts. A backslash is
     * part of a name, as on any Linux file system.
     */
    public static String normalize(String raw) {
        String p = raw;
        while (p.startsWith("./")) {
            p = p.substring(2);
        }
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        StringBuilder sb = new StringBuilder();
        for (String part : p.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new IllegalArgumentException("change-set path leaves the source tree: " + raw);
            }
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(part);
        }
        return sb.length() == 0 ? "." : sb.toString();
    }

    public static final class Builder {
        private final Set<String> paths = new LinkedHashSet<>();
        private final Set<String> trees = new LinkedHashSet<>();
        private final Map<String, String> moves = new LinkedHashMap<>();

        /** Adds a path; a trailing "/" asks for the whole subtree. */
        public Builder add(String raw) {
            String n = normalize(raw);
            if (raw.endsWith("/") || n.equals(".")) {
                trees.add(n);
                paths.remove(n);
            } else if (!trees.contains(n)) {
                paths.add(n);
            }
            return this;
        }

        public Builder addAll(Collection<String> raw) {
            raw.forEach(this::add);
            return this;
        }

        /** A path moved from {@code from} to {@code to} (both normalized here). */
        public Builder move(String from, String to) {
            moves.put(normalize(to), normalize(from));
            return this;
        }

        public ChangeSet build() {
            return new ChangeSet(new LinkedHashSet<>(paths), new LinkedHashSet<>(trees), new LinkedHashMap<>(moves));
        }
    }
}
