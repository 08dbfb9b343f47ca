package io.camelrsync.receiver;

import io.camelrsync.fs.NativeFile;
import io.camelrsync.protocol.ItemFlags;
import java.io.IOException;

/**
 * generator.c fnamecmp and fnamecmp_type: the file a transfer's block sums describe, which the receiver opens
 * again to rebuild from (receiver.c recv_files): the old copy (FNAMECMP_FNAME), the same path in alt dir
 * {@code type} (FNAMECMP_BASIS_DIR_LOW + j), or a file of the directory chosen by --fuzzy (FNAMECMP_FUZZY + i,
 * its name sent as the xname). {@code rel} is the path in {@code tree}.
 */
record Basis(int type, DestinationTree tree, String rel, String xname) {
    static final int FNAME = 0x80;
    static final int FUZZY = 0x83;

    /** The itemize flags that announce this basis to the client (it echoes them back). */
    int flags() {
        return type == FNAME ? 0 : ItemFlags.BASIS_TYPE_FOLLOWS | (type >= FUZZY ? ItemFlags.XNAME_FOLLOWS : 0);
    }

    NativeFile open() throws IOException {
        try (DestinationTree.Node n = tree.locate(rel, false)) {
            return tree.openBasis(n);
        }
    }
}
