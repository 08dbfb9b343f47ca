package io.camelrsync.receiver;

/**
 * Whom the entries a session creates belong to. A daemon module's (daemon/ModuleIdentity, from its "uid" and
 * "gid"): rsync switches to that user for the whole session, ours gives every new entry to it instead, and only a
 * module that runs as root keeps the owners the client sends (-o, -g). A pulling client's: this process's own.
 *
 * @param preservesOwnership whether the owners the sender lists are applied (-o, -g): only when running as root
 * @param uid                the uid for new entries, or -1 to leave it as the creating process made it
 * @param gid                the gid for new entries, or -1 to leave it as the creating process made it
 */
public record Ownership(boolean preservesOwnership, int uid, int gid) {
    private static final boolean JVM_IS_ROOT = "root".equals(System.getProperty("user.name"));

    /** Whether this JVM runs as root (only then can ownership be given away or kept). */
    public static boolean jvmIsRoot() {
        return JVM_IS_ROOT;
    }

    /**
     * This process's own: as root the owners the sender lists are kept (what "uid = root", "gid = root" gives a
     * module), otherwise ownership is left alone.
     */
    public static Ownership ofThisProcess() {
        return new Ownership(JVM_IS_ROOT, -1, -1);
    }

    /** Whether new entries change owner after creation (so they do not all start alike). */
    public boolean claimsFiles() {
        return uid >= 0 || gid >= 0;
    }
}
