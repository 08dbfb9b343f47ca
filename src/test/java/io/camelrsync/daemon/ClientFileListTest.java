package io.camelrsync.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.client.PushInteropTest;
import io.camelrsync.daemonconf.HostAccess;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.flist.FileListReader;
import io.camelrsync.protocol.ClientArgs;
import io.camelrsync.protocol.MultiplexReader;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.testing.RsyncDaemon;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stock rsync client pushes into our daemon handshake; we set the protocol up (declining incremental
 * recursion) and decode the filter list and file list it sends, entry by entry against its source tree.
 */
class ClientFileListTest {
    @TempDir
    static Path work;
    static Path src;
    static RsyncdConf conf;

    @BeforeAll
    static void tree() throws Exception {
        RsyncDaemon.requireRsync();
        src = Files.createDirectories(work.resolve("src"));
        PushInteropTest.buildRichTree(src);
        Path file = work.resolve("rsyncd.conf");
        Files.writeString(file, "[m]\npath = " + work.resolve("dest") + "\nread only = no\n");
        conf = RsyncdConf.read(file);
    }

    record Got(ClientArgs args, List<String> filters, FileListReader.Received list) {
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    void decodesTheStockClientsFileList(int protocol) throws Exception {
        Got got;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(15_000);
            CompletableFuture<Got> served = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(10_000);
                    return receive(s);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Process p = new ProcessBuilder("rsync", "-aH", "--delete", "--exclude=*.tmp", "--protocol=" + protocol,
                    src + "/", "rsync://127.0.0.1:" + server.getLocalPort() + "/m").redirectErrorStream(true).start();
            got = served.get(20, TimeUnit.SECONDS);
            p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        }
        assertEquals(List.of("- *.tmp"), got.filters());
        Set<String> expected = new TreeSet<>();
        try (Stream<Path> walk = Files.walk(src)) {
            walk.forEach(x -> expected.add(src.equals(x) ? "." : src.relativize(x).toString()));
        }
        Set<String> received = new TreeSet<>();
        Map<String, String> firstOf = new HashMap<>();
        List<FileListReader.Entry> entries = got.list().entries();
        for (FileListReader.Entry e : entries) {
            received.add(e.path());
            Path local = e.path().equals(".") ? src : src.resolve(e.path());
            Map<String, Object> a = Files.readAttributes(local, "unix:*", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            assertEquals(mode, e.mode(), e.path());
            if ((mode & 0170000) == 0100000) {
                assertEquals((long) (Long) a.get("size"), e.size(), e.path());
            }
            if ((mode & 0170000) != 0120000) {
                FileTime t = (FileTime) a.get("lastModifiedTime");
                assertEquals(t.toInstant().getEpochSecond(), e.mtime(), e.path());
                assertEquals(protocol >= 31 ? t.toInstant().getNano() : 0, e.mtimeNsec(), e.path());
            } else {
                assertEquals(Files.readSymbolicLink(local).toString(), new String(e.linkTarget()), e.path());
            }
            assertEquals((int) (Integer) a.get("uid"), e.uid(), e.path());
            assertEquals((int) (Integer) a.get("gid"), e.gid(), e.path());
            if (e.hardLinkFirst() >= 0) {
                firstOf.put(e.path(), entries.get(e.hardLinkFirst()).path());
            }
        }
        assertEquals(expected, received);
        for (Map.Entry<String, String> link : firstOf.entrySet()) {
            Object ino = Files.getAttribute(src.resolve(link.getKey()), "unix:ino", LinkOption.NOFOLLOW_LINKS);
            assertEquals(Files.getAttribute(src.resolve(link.getValue()), "unix:ino", LinkOption.NOFOLLOW_LINKS),
                    ino, link.getKey() + " is a hard link of " + link.getValue());
        }
        assertEquals(3, firstOf.size(), "two members of the 3-way group and one of the pair are abbreviated");
        assertEquals("nobody", got.list().userNames().get(65534));
        assertEquals(0, got.list().ioError());
    }

    private static Got receive(Socket s) throws Exception {
        ServerHandshake hs = new ServerHandshake(conf, new HostAccess(HostAccess.Resolver.system()), m -> true,
                l -> { });
        ModuleRequest req = hs.run(s.getInputStream(), s.getOutputStream(), s.getInetAddress(), "localhost")
                .orElseThrow();
        ClientArgs args = ClientArgs.parse(req.args());
        OutputStream raw = s.getOutputStream();
        WireOutput out = new WireOutput(raw);
        // compat flags as a daemon that declines incremental recursion (compat.c setup_protocol)
        int compat = 0x02;
        compat |= args.capability('f') ? 0x08 : 0;
        compat |= args.capability('x') ? 0x10 : 0;
        compat |= args.capability('C') ? 0x20 : 0;
        compat |= args.capability('I') ? 0x40 : 0;
        compat |= args.capability('v') ? 0x80 : 0;
        compat |= args.capability('u') ? 0x100 : 0;
        out.writeVarint(compat);
        WireInput setup = new WireInput(s.getInputStream());
        if ((compat & 0x80) != 0) {
            out.writeVstring("xxh128 xxh3 xxh64 md5 none");
            out.flush();
            setup.readVstring(256);
        }
        out.writeInt(0x1234);
        out.flush();
        MultiplexReader demux = new MultiplexReader(s.getInputStream(), (code, text) -> { }, 10_000);
        demux.start("test-demux");
        WireInput in = new WireInput(demux.data());
        List<String> filters = new ArrayList<>();
        if (args.delete()) {
            for (int len; (len = in.readInt()) != 0; ) {
                filters.add(new String(in.readBytes(len, 4096, "rule")));
            }
        }
        FileListReader reader = new FileListReader(new FileListReader.Options(req.protocol(), (compat & 0x80) != 0,
                args.owner(), args.group(), args.devices(), args.specials(), args.links(), args.hardLinks(),
                (compat & 0x100) != 0, 0));
        return new Got(args, filters, reader.read(in, args.numericIds()));
    }
}
