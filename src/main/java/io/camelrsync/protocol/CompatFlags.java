package io.camelrsync.protocol;

/**
 * compat.c setup_protocol's compat flags: the server writes them (from the capabilities the client's -e.xxx
 * argument named), the client reads them; both ends of every session read them through this one type.
 */
public record CompatFlags(int bits) {
    public static final int INC_RECURSE = 0x01;
    public static final int SYMLINK_TIMES = 0x02;
    public static final int SAFE_FLIST = 0x08;
    public static final int AVOID_XATTR_OPTIM = 0x10;
    public static final int CHKSUM_SEED_FIX = 0x20;
    public static final int INPLACE_PARTIAL_DIR = 0x40;
    /** Also turns on negotiate_the_strings (checksum and compression lists). */
    public static final int VARINT_FLIST_FLAGS = 0x80;
    public static final int ID0_NAMES = 0x100;

    /**
     * What a server (our daemon, or our pulling client's own receiver) writes for a client that named these
     * capability letters: never incremental recursion, as we take the whole list first.
     */
    public static CompatFlags forCapabilities(String letters) {
        int bits = SYMLINK_TIMES;
        bits |= letters.indexOf('f') >= 0 ? SAFE_FLIST : 0;
        bits |= letters.indexOf('x') >= 0 ? AVOID_XATTR_OPTIM : 0;
        bits |= letters.indexOf('C') >= 0 ? CHKSUM_SEED_FIX : 0;
        bits |= letters.indexOf('I') >= 0 ? INPLACE_PARTIAL_DIR : 0;
        bits |= letters.indexOf('v') >= 0 ? VARINT_FLIST_FLAGS : 0;
        bits |= letters.indexOf('u') >= 0 ? ID0_NAMES : 0;
        return new CompatFlags(bits);
    }

    /** Varint flist flags, and with them the negotiated checksum and compression lists. */
    public boolean negotiated() {
        return (bits & VARINT_FLIST_FLAGS) != 0;
    }

    /** The checksum seed is hashed first (CF_CHKSUM_SEED_FIX). */
    public boolean seedFirst() {
        return (bits & CHKSUM_SEED_FIX) != 0;
    }

    public boolean id0Names() {
        return (bits & ID0_NAMES) != 0;
    }

    /** The file list ends with its io_error in the end marker (always from protocol 31). */
    public boolean safeFlist(int protocol) {
        return (bits & SAFE_FLIST) != 0 || protocol >= 31;
    }

    public boolean incRecurse() {
        return (bits & INC_RECURSE) != 0;
    }
}
