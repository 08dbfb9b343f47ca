package io.camelrsync.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListWriter;
import io.camelrsync.protocol.MultiplexReader;
import io.camelrsync.protocol.MultiplexWriter;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.testing.RsyncDaemon;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that breaks the rules on purpose (notes section 10), scripted on the wire against the real
 * listener. Each case: nothing is written outside the module, the refusal is logged, and the next (stock)
 * client is served normally.
 */
class MaliciousClientTest {
    @TempDir
    Path work;
    Path module;
    Path outside;
    DaemonServer server;
    final List<String> log = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        RsyncDaemon.requireRsync();
        module = Files.createDirectories(work.resolve("module"));
        outside = Files.createDirectories(work.resolve("outside"));
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[m]\npath = " + module + "\nread only = no\n");
        server = new DaemonServer(RsyncdConf.read(conf), log::add, s -> { });
        server.start("127.0.0.1", 0);
    }

    @AfterEach
    void stillServesAndNothingEscaped() throws Exception {
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(0, s.count(), "something was written outside the module");
        }
        Path src = Files.createDirectories(work.resolve("honest"));
        Files.writeString(src.resolve("ok.txt"), "after the attack");
        Process p = new ProcessBuilder("rsync", "-a", src + "/", "rsync://127.0.0.1:" + server.port() + "/m/after")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertEquals("after the attack", Files.readString(module.resolve("after/ok.txt")));
        server.close();
    }

    /** A scripted client session: handshake, arguments, protocol setup, then multiplexed both ways. */
    final class Evil implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream raw;
        final MultiplexWriter mux;
        final WireOutput out;

        Evil(String args) throws IOException {
            socket = new Socket("127.0.0.1", server.port());
            socket.setSoTimeout(20_000);
            in = socket.getInputStream();
            raw = socket.getOutputStream();
            raw.write("@RSYNCD: 32.0 md5\n".getBytes(StandardCharsets.US_ASCII));
            readLine();
            raw.write("m\n".getBytes(StandardCharsets.US_ASCII));
            while (!readLine().equals("@RSYNCD: OK")) {
                // MOTD
            }
            for (String a : args.split(" ")) {
                raw.write(a.getBytes(StandardCharsets.UTF_8));
                raw.write(0);
            }
            raw.write(0);
            WireInput setup = new WireInput(in);
            int compat = setup.readVarint();
            assertEquals(0, compat & 1, "the daemon must not turn on incremental recursion");
            WireOutput w = new WireOutput(raw);
            w.writeVstring("md5");
            w.flush();
            setup.readVstring(256);
            setup.readInt(); // seed
            mux = new MultiplexWriter(raw);
            out = new WireOutput(mux);
        }

        String readLine() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("closed");
                }
                b.write(c);
            }
            return b.toString(StandardCharsets.UTF_8);
        }

        void sendList(boolean hardLinks, FileEntry... entries) throws IOException {
            FileListWriter fw = new FileListWriter(out,
                    new FileListWriter.Options(32, true, false, false, false, false, hardLinks, false));
            for (FileEntry e : entries) {
                fw.write(e);
            }
            fw.writeEnd(0, true);
            out.flush();
        }

        /** The daemon's multiplexed output, from here on. */
        WireInput daemonOutput() {
            MultiplexReader r = new MultiplexReader(in, (c, t) -> { }, 20_000);
            r.start("evil-demux");
            return new WireInput(r.data());
        }

        /** Waits until the daemon hangs up on us (it must, after refusing). */
        void expectHangUp() throws Exception {
            MultiplexReader r = new MultiplexReader(in, (c, t) -> { }, 10_000);
            r.start("evil-demux");
            byte[] buf = new byte[4096];
            try {
                while (r.data().read(buf) >= 0) {
                    // whatever the daemon says before it hangs up
                }
            } catch (io.camelrsync.protocol.RsyncException e) {
                if (e.exitCode() == io.camelrsync.protocol.ExitCode.TIMEOUT) {
                    throw new AssertionError("the daemon kept the hostile session open", e);
                }
                // a reset or a broken stream is a hang-up too
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static FileEntry dir(String path) {
        return new FileEntry(path, null, 040755, 0, 1_700_000_000L, 0, 0, 0, 0, 0, 0, 1, null);
    }

    private static FileEntry file(String path, long size) {
        return new FileEntry(path, null, 0100644, size, 1_700_000_000L, 0, 0, 0, 0, 0, 0, 1, null);
    }

    private void assertLogged(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (String.join("\n", log).contains(text)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("expected '" + text + "' in the daemon log:\n" + String.join("\n", log));
    }

    @Test
    void dotDotInTheFileListIsRefused() throws Exception {
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            FileEntry bad = file("../outside/escaped.txt", 4);
            e.sendList(false, dir("."), bad);
            e.expectHangUp();
        }
        assertLogged("unsafe pathname from sender: ../outside/escaped.txt");
    }

    @Test
    void absolutePathIsRefused() throws Exception {
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            e.sendList(false, dir("."), file(outside + "/abs.txt", 4));
            e.expectHangUp();
        }
        assertLogged("unsafe pathname from sender: /");
    }

    @Test
    void anEntryWhoseParentIsNotADirectoryInTheListIsRefused() throws Exception {
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            FileEntry link = new FileEntry("link", null, 0120777, 0, 1_700_000_000L, 0, 0, 0, 0, 0, 0, 1,
                    outside.toString().getBytes(StandardCharsets.UTF_8));
            e.sendList(false, dir("."), link, file("link/pwned", 4));
            e.expectHangUp();
        }
        assertLogged("the parent of link/pwned is not a directory in the file list");
    }

    @Test
    void aSymlinkAlreadyInTheModuleIsNeverFollowed() throws Exception {
        Files.createSymbolicLink(module.resolve("sub"), outside);
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            e.sendList(false, dir("."), dir("sub"), file("sub/pwned", 0));
            // the daemon asks for sub/pwned only after it has dealt with "sub"; then we walk away
            assertEquals(2, e.daemonOutput().readNdx());
        }
        assertFalse(Files.isSymbolicLink(module.resolve("sub")), "the symlink was replaced by a real directory");
    }

    @Test
    void aHardLinkReferenceOutOfRangeIsRefused() throws Exception {
        try (Evil e = new Evil("--server -lHre.LfxCIvu . m/")) {
            WireOutput w = e.out;
            FileListWriter fw = new FileListWriter(w,
                    new FileListWriter.Options(32, true, false, false, false, false, true, false));
            fw.write(dir("."));
            // HLINKED without HLINK_FIRST, pointing at entry 99 of a 2-entry list
            w.writeVarint(0x0200 | 0x0020 | 0x0008 | 0x0010);
            w.writeByte(0);
            w.writeByte(1);
            w.writeByte('h');
            w.writeVarint(99);
            e.out.flush();
            e.expectHangUp();
        }
        assertLogged("hard-link reference out of range: 99");
    }

    @Test
    void aTransferNobodyAskedForIsRefusedAndLeavesNoFile() throws Exception {
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            e.sendList(false, dir("."), file("x.txt", 4));
            // push index 0 (".") with ITEM_TRANSFER and a literal token without waiting to be asked
            e.out.writeNdx(0);
            e.out.writeShortInt(0x8000);
            for (int i = 0; i < 4; i++) {
                e.out.writeInt(0);
            }
            e.out.writeInt(4);
            e.out.write("evil".getBytes(StandardCharsets.US_ASCII));
            e.out.writeInt(0);
            e.out.flush();
            e.expectHangUp();
        }
        assertLogged("which we never requested");
        try (Stream<Path> s = Files.walk(module)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".x.txt")), "no temp file left");
        }
    }
}
