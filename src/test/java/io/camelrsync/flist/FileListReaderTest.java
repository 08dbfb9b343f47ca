package io.camelrsync.flist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A hostile sender's file list is refused with a clear reason before anything is allocated or written. */
class FileListReaderTest {
    private static final FileListReader.Options OPTS =
            new FileListReader.Options(32, true, true, true, true, true, true, false, false, 0);

    /** Builds a varint-mode list: each entry is flags, name, size, mtime, mode, then the rest as given. */
    private static final class ListBytes {
        final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        final WireOutput out = new WireOutput(buf);

        ListBytes entry(int flags, String name, long size, int mode) throws IOException {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            out.writeVarint(flags | Xmit.SAME_UID | Xmit.SAME_GID);
            if (n.length > 255) {
                throw new IllegalArgumentException();
            }
            out.writeByte(n.length);
            out.write(n);
            out.writeVarlong(size, 3);
            out.writeVarlong(1_700_000_000L, 4);
            out.writeInt(mode);
            return this;
        }

        FileListReader.Received read(FileListReader.Options o) throws IOException {
            out.writeVarint(0);
            out.writeVarint(0);
            return new FileListReader(o).read(new WireInput(new ByteArrayInputStream(buf.toByteArray())), true);
        }
    }

    private static void refused(String reason, ListBytes list) {
        RsyncException e = assertThrows(RsyncException.class, () -> list.read(OPTS));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void aWellFormedListIsRead() throws Exception {
        FileListReader.Received r = new ListBytes().entry(Xmit.TOP_DIR, ".", 0, 040755)
                .entry(0, "a.txt", 5, 0100644).read(OPTS);
        assertEquals(2, r.entries().size());
        assertEquals("a.txt", r.entries().get(1).path());
        assertEquals(5, r.entries().get(1).size());
    }

    @Test
    void dotDotAndAbsoluteNamesAreRefused() throws Exception {
        refused("unsafe pathname from sender: a/../../etc/passwd",
                new ListBytes().entry(0, "a/../../etc/passwd", 1, 0100644));
        refused("unsafe pathname from sender: /etc/passwd", new ListBytes().entry(0, "/etc/passwd", 1, 0100644));
        refused("unsafe pathname from sender: ..", new ListBytes().entry(0, "..", 0, 040755));
    }

    @Test
    void aNameWithANulIsRefused() throws Exception {
        refused("NUL byte", new ListBytes().entry(0, "a\0b", 1, 0100644));
    }

    @Test
    void aPrefixLongerThanThePreviousNameIsRefused() throws Exception {
        ListBytes l = new ListBytes().entry(0, "ab", 1, 0100644);
        l.out.writeVarint(Xmit.SAME_NAME);
        l.out.writeByte(200); // 200 bytes of a 2-byte previous name
        l.out.writeByte(1);
        l.out.writeByte('x');
        refused("longer than the previous name", l);
    }

    @Test
    void invalidModeTypeIsRefused() throws Exception {
        refused("invalid file type", new ListBytes().entry(0, "weird", 1, 0170644));
    }

    @Test
    void theDotEntryMustBeADirectory() throws Exception {
        refused("\".\" entry is not a directory", new ListBytes().entry(0, ".", 1, 0100644));
    }

    @Test
    void nanosecondsOutOfRangeAreRefused() throws Exception {
        ListBytes l = new ListBytes();
        l.out.writeVarint(Xmit.MOD_NSEC | Xmit.SAME_UID | Xmit.SAME_GID);
        l.out.writeByte(1);
        l.out.writeByte('f');
        l.out.writeVarlong(1, 3);
        l.out.writeVarlong(1_700_000_000L, 4);
        l.out.writeVarint(1_500_000_000);
        l.out.writeInt(0100644);
        refused("invalid nanoseconds", l);
    }

    @Test
    void hardLinkFlagsWithoutHardLinksAndBadReferencesAreRefused() throws Exception {
        refused("though -H is off", new ListBytes().entry(Xmit.HLINKED | Xmit.HLINK_FIRST, "f", 1, 0100644));
        FileListReader.Options withH = new FileListReader.Options(32, true, true, true, true, true, true, true,
                false, 0);
        ListBytes l = new ListBytes().entry(0, "a", 1, 0100644);
        l.out.writeVarint(Xmit.HLINKED | Xmit.SAME_UID | Xmit.SAME_GID);
        l.out.writeByte(1);
        l.out.writeByte('b');
        l.out.writeVarint(7); // only entry 0 exists
        RsyncException e = assertThrows(RsyncException.class, () -> l.read(withH));
        assertTrue(e.getMessage().contains("hard-link reference out of range: 7"), e.getMessage());
    }

    @Test
    void anOverlongSymlinkTargetIsRefused() throws Exception {
        ListBytes l = new ListBytes().entry(0, "link", 0, 0120777);
        l.out.writeVarint(1 << 20);
        refused("invalid symlink length", l);
    }
}
