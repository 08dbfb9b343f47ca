package io.camelrsync.mirror;

/**
 * Headers of the mirror's exchanges (routes/mirror.camel.yaml spells the same names). The latency header is
 * {@link MergingQueue#FIRST_EVENT_AT}.
 */
public final class MirrorHeaders {
    /** The target's label for logs: host:port/module. */
    public static final String TARGET = "MirrorTarget";
    /** The sync the target belongs to (mirror.syncs[NAME], or "default"). */
    public static final String SYNC = "MirrorSync";
    /** The target's queue (mirror-queue:N): where an escalated full sync goes. */
    public static final String QUEUE = "MirrorQueue";
    /** True on a verify: a full sync whose fixes are reported as paths the mirror had let go out of date. */
    public static final String VERIFY = "MirrorVerify";
    /** The change sets that merged into a verify while it waited: fixes of these are expected, not findings. */
    public static final String VERIFY_KNOWN = "MirrorVerifyKnown";
    /** How many paths a verify found out of date (and fixed). */
    public static final String VERIFY_FIXED = "MirrorVerifyFixed";

    private MirrorHeaders() {
    }
}
