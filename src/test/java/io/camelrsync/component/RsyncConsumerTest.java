package io.camelrsync.component;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** from("rsync://...?config=...") in a route: a stock rsync client pushes, the route sees one exchange. */
class RsyncConsumerTest extends CamelTestSupport {
    @TempDir
    static Path work;
    static int port;

    @Override
    protected RouteBuilder createRouteBuilder() throws Exception {
        RsyncDaemon.requireRsync();
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.createDirectories(work.resolve("inbox"));
        Path conf = work.resolve("rsyncd.conf");
        Files.createDirectories(work.resolve("changes"));
        Files.writeString(conf, "[inbox]\npath = " + work.resolve("inbox") + "\nread only = no\nuid = root\ngid = root\n"
                + "[changes]\npath = " + work.resolve("changes") + "\nread only = no\nuid = root\ngid = root\n");
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("rsync://127.0.0.1:" + port + "?config=" + conf).to("mock:arrived");
            }
        };
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void eachPushBecomesAnExchange() throws Exception {
        MockEndpoint arrived = getMockEndpoint("mock:arrived");
        arrived.expectedMessageCount(1);
        Path src = Files.createDirectories(work.resolve("src/sub"));
        Files.writeString(src.resolve("report.csv"), "a,b\n1,2\n");
        Files.writeString(work.resolve("src/readme.txt"), "hello");
        push(work.resolve("src"), "inbox");
        arrived.assertIsSatisfied(10_000);
        Exchange e = arrived.getReceivedExchanges().get(0);
        assertEquals("inbox", e.getIn().getHeader(RsyncConstants.MODULE));
        assertEquals("127.0.0.1", e.getIn().getHeader(RsyncConstants.PEER));
        assertEquals(2, e.getIn().getHeader(RsyncConstants.FILES_TRANSFERRED, Integer.class));
        assertTrue(e.getIn().getHeader(RsyncConstants.LITERAL_BYTES, Long.class) >= 13);
        assertSameTree(work.resolve("src"), work.resolve("inbox"));
    }

    /** What a push changed, by name below the module's path: what a relay forwards. */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void headersNameThePathsThePushChangedAndDeleted() throws Exception {
        MockEndpoint arrived = getMockEndpoint("mock:arrived");
        arrived.expectedMessageCount(1);
        Path src = Files.createDirectories(work.resolve("paths-src/a"));
        Files.writeString(src.resolve("x"), "x");
        Files.writeString(work.resolve("paths-src/b"), "b");
        Files.writeString(work.resolve("paths-src/same"), "untouched");
        Files.writeString(work.resolve("paths-src/mode"), "chmod only");
        Files.setLastModifiedTime(src, java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L));
        push(work.resolve("paths-src"), "changes/paths/");
        // a session's exchange leaves after the client has gone: the next push's could overtake it
        arrived.assertIsSatisfied(10_000);
        Exchange first = arrived.getReceivedExchanges().get(0);
        arrived.reset();
        arrived.expectedMessageCount(1);
        Files.delete(src.resolve("x"));
        Files.writeString(work.resolve("paths-src/b"), "b, longer now");
        Files.setPosixFilePermissions(work.resolve("paths-src/mode"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        push(work.resolve("paths-src"), "changes/paths/");
        arrived.assertIsSatisfied(10_000);
        assertEquals(java.util.Set.of("paths/", "paths/a/", "paths/a/x", "paths/b", "paths/same", "paths/mode"),
                new java.util.HashSet<>(first.getIn().getHeader(RsyncConstants.UPDATED_PATHS, java.util.List.class)));
        Exchange second = arrived.getReceivedExchanges().get(0);
        java.util.List<?> updated = second.getIn().getHeader(RsyncConstants.UPDATED_PATHS, java.util.List.class);
        assertTrue(updated.containsAll(java.util.List.of("paths/b", "paths/mode", "paths/a/")), updated.toString());
        assertTrue(!updated.contains("paths/same"), "an unchanged file is not named: " + updated);
        assertEquals(java.util.List.of("paths/a/x"), second.getIn().getHeader(RsyncConstants.DELETED_PATHS));
        assertEquals(Boolean.TRUE, second.getIn().getHeader(RsyncConstants.PATHS_COMPLETE));
    }

    private static void push(Path from, String to) throws Exception {
        Process p = new ProcessBuilder("rsync", "-a", "--delete", from + "/", "rsync://127.0.0.1:" + port + "/" + to)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
    }
}
