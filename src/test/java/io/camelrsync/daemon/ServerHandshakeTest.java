package io.camelrsync.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemonconf.HostAccess;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.testing.RsyncDaemon;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Our daemon handshake, with Debian's stock rsync client on the other end. */
class ServerHandshakeTest {
    @TempDir
    static Path work;
    static RsyncdConf conf;
    static Path src;
    static final List<String> LOG = new ArrayList<>();

    @BeforeAll
    static void config() throws Exception {
        RsyncDaemon.requireRsync();
        src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("f"), "x");
        Path secrets = work.resolve("rsync.pass");
        Files.writeString(secrets, "# users\nrsync:123456\n");
        Files.setPosixFilePermissions(secrets, PosixFilePermissions.fromString("rw-------"));
        Path motd = work.resolve("motd");
        Files.writeString(motd, "Welcome to camel-rsync\n");
        Path file = work.resolve("rsyncd.conf");
        Files.writeString(file, "motd file = " + motd + "\n"
                + "[public]\npath = " + work + "\ncomment = Public files\n"
                + "[hidden]\npath = " + work + "\nlist = no\n"
                + "[secure]\npath = " + work + "\nauth users = rsync, mallory:deny\nsecrets file = " + secrets + "\n"
                + "[commented]\npath = " + work + "\nauth users = rsync\nsecrets file = " + secrets + "   # 600\n"
                + "[denied]\npath = " + work + "\nhosts deny = 127.0.0.1\n"
                + "[full]\npath = " + work + "\nmax connections = 1\n");
        conf = RsyncdConf.read(file);
    }

    /** Serves one connection with the handshake while the stock client runs; returns both outcomes. */
    private static Outcome serve(Map<String, String> env, String... rsyncArgs) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(15_000);
            ServerHandshake hs = new ServerHandshake(conf, new HostAccess(HostAccess.Resolver.system()),
                    m -> !m.name().equals("full"), LOG::add);
            CompletableFuture<Object> served = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(10_000);
                    return hs.run(s.getInputStream(), s.getOutputStream(), s.getInetAddress(), "localhost");
                } catch (Exception e) {
                    return e;
                }
            });
            List<String> cmd = new ArrayList<>(List.of("rsync"));
            for (String a : rsyncArgs) {
                cmd.add(a.replace("PORT", String.valueOf(server.getLocalPort())));
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().putAll(env);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            return new Outcome(p.exitValue(), out, served.get(20, TimeUnit.SECONDS));
        }
    }

    record Outcome(int exit, String clientOutput, Object server) {
    }

    @Test
    void listsOnlyListableModulesAfterTheMotd() throws Exception {
        Outcome o = serve(Map.of(), "rsync://127.0.0.1:PORT/");
        assertEquals(0, o.exit(), o.clientOutput());
        assertTrue(o.clientOutput().contains("Welcome to camel-rsync"), o.clientOutput());
        assertTrue(o.clientOutput().contains("public         \tPublic files"), o.clientOutput());
        assertFalse(o.clientOutput().contains("hidden"), o.clientOutput());
        assertEquals(Optional.empty(), o.server());
    }

    @Test
    void unknownModule() throws Exception {
        Outcome o = serve(Map.of(), "-a", src + "/", "rsync://127.0.0.1:PORT/nope");
        assertEquals(5, o.exit(), o.clientOutput());
        assertTrue(o.clientOutput().contains("@ERROR: Unknown module 'nope'"), o.clientOutput());
        assertInstanceOf(DaemonRefusal.class, o.server());
    }

    @Test
    void deniedHost() throws Exception {
        Outcome o = serve(Map.of(), "-a", src + "/", "rsync://127.0.0.1:PORT/denied");
        assertEquals(5, o.exit(), o.clientOutput());
        assertTrue(o.clientOutput().contains("@ERROR: access denied to denied from localhost (127.0.0.1)"),
                o.clientOutput());
    }

    @Test
    void maxConnectionsReached() throws Exception {
        Outcome o = serve(Map.of(), "-a", src + "/", "rsync://127.0.0.1:PORT/full");
        assertEquals(5, o.exit(), o.clientOutput());
        assertTrue(o.clientOutput().contains("@ERROR: max connections (1) reached -- try again later"),
                o.clientOutput());
    }

    @Test
    void wrongPasswordAndDeniedUser() throws Exception {
        Outcome wrong = serve(Map.of("RSYNC_PASSWORD", "nope"), "-a", src + "/", "rsync://rsync@127.0.0.1:PORT/secure");
        assertEquals(5, wrong.exit(), wrong.clientOutput());
        assertTrue(wrong.clientOutput().contains("@ERROR: auth failed on module secure"), wrong.clientOutput());
        Outcome denied = serve(Map.of("RSYNC_PASSWORD", "123456"), "-a", src + "/",
                "rsync://mallory@127.0.0.1:PORT/secure");
        assertEquals(5, denied.exit(), denied.clientOutput());
        assertTrue(String.join("\n", LOG).contains("user mallory denied"), LOG.toString());
    }

    /** A remark after the secrets file's path is not part of its name (the config warns about it). */
    @Test
    void aCommentAfterTheSecretsFilePathIsCutOff() throws Exception {
        Outcome o = serve(Map.of("RSYNC_PASSWORD", "123456"), "-a", src + "/",
                "rsync://rsync@127.0.0.1:PORT/commented");
        ModuleRequest req = (ModuleRequest) ((Optional<?>) o.server()).orElseThrow();
        assertEquals("commented", req.module().name(), o.clientOutput());
        assertEquals("rsync", req.user());
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    void rightPasswordGetsThroughWithTheClientsArguments(int protocol) throws Exception {
        Outcome o = serve(Map.of("RSYNC_PASSWORD", "123456"), "-avH", "--delete", "--protocol=" + protocol,
                src + "/", "rsync://rsync@127.0.0.1:PORT/secure/sub");
        ModuleRequest req = (ModuleRequest) ((Optional<?>) o.server()).orElseThrow();
        assertEquals("secure", req.module().name());
        assertEquals("rsync", req.user());
        assertEquals(protocol, req.protocol());
        assertEquals("--server", req.args().get(0));
        assertTrue(req.args().contains("--delete"), req.args().toString());
        assertEquals("secure/sub", req.args().get(req.args().size() - 1), req.args().toString());
    }
}
