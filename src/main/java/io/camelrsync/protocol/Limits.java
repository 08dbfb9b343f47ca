package io.camelrsync.protocol;

/** Bounds on everything a peer can make us allocate or loop over (notes section 10). */
public final class Limits {
    /** rsync's MAXPATHLEN: longest path we accept from the wire. */
    public static final int MAX_PATH = 4096;
    /** Longest filter rule (exclude.c recv_filter_list: BIGPATHBUFLEN, a path and a pattern's extra). */
    public static final int MAX_RULE = MAX_PATH + 1024;
    /** Non-DATA multiplexed messages must be smaller than this (io.c). */
    public static final int MAX_MESSAGE = 5120;
    /** Longest line in the text handshake (greeting, MOTD, @ERROR). */
    public static final int MAX_LINE = 8192;
    /** Longest negotiation string list (MAX_NSTR_STRLEN). */
    public static final int MAX_NSTR = 256;
    /** rsync's MAX_BLOCK_SIZE for protocol >= 30. */
    public static final int MAX_BLOCK_SIZE = 1 << 17;
    /** Most blocks a sum head may announce: enough for a 2^17 * 2^24 = 2 TiB file. */
    public static final int MAX_BLOCK_COUNT = 1 << 24;
    /** Longest strong checksum on the wire (MAX_DIGEST_LEN). */
    public static final int MAX_DIGEST = 64;
    /** Weak-checksum collisions checked per offset before treating it as a miss (match.c MAX_CHAIN_LEN). */
    public static final int MAX_CHAIN = 256;
    /** Longest MOTD we show before giving up on a misbehaving daemon. */
    public static final int MAX_MOTD_LINES = 1000;

    private Limits() {
    }
}
