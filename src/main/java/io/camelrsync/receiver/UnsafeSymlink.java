package io.camelrsync.receiver;

/**
 * util1.c unsafe_symlink, for --safe-links: a symlink is unsafe when its target is absolute or empty, or when
 * its ".." components climb above the top of the transfer from where the link sits. Counting stops at the first
 * point the walk leaves the tree, so "a/../../x" is unsafe however deep the link is (CVE-2024-12088).
 */
public final class UnsafeSymlink {
    private UnsafeSymlink() {
    }

    /** @param target the link's content; @param linkPath the link's name relative to the top of the transfer */
    public static boolean isUnsafe(String target, String linkPath) {
        if (target.isEmpty() || target.startsWith("/")) {
            return true;
        }
        int depth = 0;
        String[] linkParts = linkPath.split("/");
        for (int i = 0; i < linkParts.length - 1; i++) { // the directories above the link
            String p = linkParts[i];
            if (p.equals("..")) {
                depth = 0;
            } else if (!p.isEmpty() && !p.equals(".")) {
                depth++;
            }
        }
        String[] parts = target.split("/", -1);
        for (String p : parts) {
            if (p.equals("..")) {
                if (--depth < 0) {
                    return true;
                }
            } else if (!p.isEmpty() && !p.equals(".")) {
                depth++;
            }
        }
        return depth < 0;
    }
}
