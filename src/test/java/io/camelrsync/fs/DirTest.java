package io.camelrsync.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The confined directory calls on real files: nothing through a symlink, whichever way paths are opened. */
@Timeout(30)
class DirTest {
    @TempDir
    Path work;

    @AfterEach
    void restore() {
        Dir.openat2(true);
    }

    @ParameterizedTest(name = "openat2 = {0}")
    @ValueSource(booleans = {true, false})
    void aSymlinkAnywhereInAPathIsNeverFollowed(boolean openat2) throws Exception {
        Dir.openat2(openat2);
        Path root = Files.createDirectories(work.resolve("root/a/b"));
        Path outside = Files.createDirectories(work.resolve("outside"));
        Files.createSymbolicLink(work.resolve("root/a/link"), outside);
        Files.createSymbolicLink(work.resolve("root/up"), work);
        try (Dir r = Dir.open(work.resolve("root"))) {
            try (Dir b = r.openPath("a/b")) {
                b.mkdir("made", 0755);
            }
            assertTrue(Files.isDirectory(root.resolve("made")));
            for (String path : List.of("a/link", "a/link/x", "up/outside", "up")) {
                FsException e = assertThrows(FsException.class, () -> r.openPath(path).close(), path);
                assertTrue(e.notConfinable(), path + ": " + e.getMessage());
            }
            assertThrows(FsException.class, () -> r.openPath("a/../a"), "no .. component is ever walked");
            assertThrows(FsException.class, () -> r.openDir("a/b"), "one component per call");
        }
        try (var s = Files.list(outside)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void entriesAreMadeRelativeToTheDescriptorWithoutFollowingTheLastComponent() throws Exception {
        Path root = Files.createDirectories(work.resolve("root"));
        Path secret = Files.writeString(work.resolve("secret"), "keep");
        Files.createSymbolicLink(root.resolve("trap"), secret);
        try (Dir r = Dir.open(root)) {
            assertThrows(FsException.class, () -> r.openRead("trap"), "a symlink is not opened");
            assertThrows(FsException.class, () -> r.createNew("trap", 0600), "nor written through");
            r.chown("trap", -1, -1); // lchown: the link itself
            r.setMtime("trap", 1_000_000_000L, 5);
            assertEquals(1_000_000_000L, r.stat("trap").mtimeSeconds());
            assertTrue(r.stat("trap").isSymlink());
            assertFalse(Files.getLastModifiedTime(secret).toMillis() / 1000 == 1_000_000_000L);

            try (NativeFile f = r.createNew(".x.tmp", 0600)) {
                f.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8)));
                f.chmod(0640);
                f.setMtime(1_700_000_000L, 123);
            }
            r.rename(".x.tmp", r, "x");
            Stat x = r.stat("x");
            assertEquals(5, x.size());
            assertEquals(0640, x.mode() & 07777);
            assertEquals(123, x.mtimeNanos());
            try (NativeFile f = r.openRead("x")) {
                ByteBuffer b = ByteBuffer.allocate(16);
                assertEquals(5, f.read(b, 0));
                assertEquals("hello", new String(b.array(), 0, 5, StandardCharsets.UTF_8));
            }
            r.link(r, "x", "x2");
            assertTrue(r.stat("x").sameFile(r.stat("x2")));
            r.symlink("../../etc//".getBytes(StandardCharsets.UTF_8), "l");
            assertArrayEquals("../../etc//".getBytes(StandardCharsets.UTF_8), r.readlink("l"), "stored verbatim");
            r.mknod("fifo", 0010000 | 0600, 0, 0); // S_IFIFO
            assertThrows(FsException.class, () -> r.openRead("fifo"), "a FIFO is refused, not waited on");
            assertEquals(new java.util.TreeSet<>(List.of("fifo", "l", "trap", "x", "x2")),
                    new java.util.TreeSet<>(r.list()));
            r.mkdir("d", 0755);
            r.rmdir("d");
            r.unlink("x2");
            assertNull(r.stat("x2"));
            assertNull(r.stat("d"));
        }
    }
}
