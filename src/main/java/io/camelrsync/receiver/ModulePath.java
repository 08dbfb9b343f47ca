package io.camelrsync.receiver;

import java.util.ArrayList;
import java.util.List;

/**
 * Directories a client names in its options (--backup-dir, --link-dest and kin), made into components below the
 * module's root as rsync's daemon makes them (util1.c sanitize_path): they can only name a place inside the
 * module, whatever ".." or "/" they hold. The components are then opened from the module's root through
 * descriptors, never by path, so a symlink on the way cannot lead out either.
 */
final class ModulePath {
    private ModulePath() {
    }

    /**
     * util1.c sanitize_path: leading and repeated slashes and "." components are dropped; a ".." below a
     * component removes that component; up to {@code depth} ".." may stay at the start (returned as ".."
     * components), every further one that would climb above the start is dropped. With depth 0 what is left
     * can only name a place inside the tree it is resolved in.
     */
    static List<String> sanitize(String path, int depth) {
        List<String> out = new ArrayList<>();
        int kept = 0; // leading ".." allowed by depth, never backed over
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (out.size() > kept) {
                    out.remove(out.size() - 1);
                } else if (depth > 0) {
                    depth--;
                    out.add("..");
                    kept++;
                }
                continue;
            }
            out.add(part);
        }
        return out;
    }

    /**
     * A basis dir as main.c do_server_recv resolves it on a daemon: sanitize_path with the destination's depth
     * below the module (curr_dir_depth), so a relative dir may climb out of the destination but not out of the
     * module; an absolute one starts at the module's root (sanitize_path puts module_dir before it; a chrooted
     * daemon gets the same from its chroot). The result is the dir's components below the module's root.
     */
    static List<String> belowModule(String given, List<String> destination) {
        if (given.startsWith("/")) {
            return sanitize(given, 0);
        }
        List<String> dir = new ArrayList<>(destination);
        for (String part : sanitize(given, destination.size())) {
            if (part.equals("..")) {
                dir.remove(dir.size() - 1);
            } else {
                dir.add(part);
            }
        }
        return dir;
    }
}
