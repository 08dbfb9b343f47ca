package io.camelrsync.component;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.protocol.RsyncException;
import io.camelrsync.testing.RsyncDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rsync: producer in a real route, pushing into Debian's stock rsync daemon. */
class RsyncProducerTest extends CamelTestSupport {
    @TempDir
    static Path work;
    static RsyncDaemon daemon;
    static Path src;
    static Path passwordFile;
    static int unreachablePort;

    @BeforeAll
    static void startDaemon() throws Exception {
        src = Files.createDirectories(work.resolve("src"));
        Path secrets = work.resolve("secrets");
        Files.writeString(secrets, "camel:s3cret\n");
        Files.setPosixFilePermissions(secrets, PosixFilePermissions.fromString("rw-------"));
        unreachablePort = RsyncDaemon.freePort(); // nothing listens there
        passwordFile = work.resolve("camel.pass");
        Files.writeString(passwordFile, "s3cret\n");
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        daemon = RsyncDaemon.start(work.resolve("daemon"),
                RsyncDaemon.module("mirror", Files.createDirectories(work.resolve("mirror")))
                        + RsyncDaemon.module("secure", Files.createDirectories(work.resolve("secure")),
                        "auth users = camel", "secrets file = " + secrets)
                        + RsyncDaemon.module("paths", Files.createDirectories(work.resolve("paths")))
                        + RsyncDaemon.module("refusing", Files.createDirectories(work.resolve("refusing")),
                        "refuse options = delete")
                        + RsyncDaemon.module("backup", Files.createDirectories(work.resolve("backup"))));
        Files.createDirectories(work.resolve("paths-src"));
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        daemon.close();
    }

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:push").to("rsync://127.0.0.1:" + daemon.port() + "/mirror?source=" + src
                        + "&delete=true&hardLinks=true&excludes=*.tmp");
                from("direct:secure").to("rsync://127.0.0.1:" + daemon.port() + "/secure?source=" + src
                        + "&username=camel&passwordFile=" + passwordFile);
                from("direct:nowhere").to("rsync://127.0.0.1:" + daemon.port() + "/no_such_module?source=" + src);
                from("direct:paths").to("rsync://127.0.0.1:" + daemon.port() + "/paths?source="
                        + work.resolve("paths-src") + "&delete=true");
                from("direct:refused").to("rsync://127.0.0.1:" + daemon.port() + "/refusing?source=" + src
                        + "&delete=true");
                from("direct:restore").to("rsync://127.0.0.1:" + daemon.port() + "/backup?source="
                        + work.resolve("restored") + "&pull=true&delete=true&hardLinks=true");
                from("direct:unreachable").to("rsync://127.0.0.1:" + unreachablePort + "/m?source=" + src
                        + "&connectTimeout=5");
            }
        };
    }

    @Test
    void emptyBodyPushesTheTreeAndAChangeSetOnlyItsPaths() throws Exception {
        Files.createDirectories(src.resolve("docs/sub"));
        Files.writeString(src.resolve("docs/a.txt"), "a1");
        Files.writeString(src.resolve("docs/sub/b.txt"), "b1");
        Files.writeString(src.resolve("docs/gone.txt"), "to be deleted");
        Files.writeString(src.resolve("scratch.tmp"), "excluded");
        Exchange full = template.request("direct:push", e -> e.getIn().setBody(null));
        assertEquals(0, full.getMessage().getHeader(RsyncConstants.EXIT_CODE));
        assertEquals(3, full.getMessage().getHeader(RsyncConstants.FILES_TRANSFERRED, Integer.class));
        Path mirror = work.resolve("mirror");
        assertFalse(Files.exists(mirror.resolve("scratch.tmp")), "excludes option ignored");
        Files.delete(src.resolve("scratch.tmp"));
        assertSameTree(src, mirror);

        Files.writeString(src.resolve("docs/a.txt"), "a2, longer");
        Files.delete(src.resolve("docs/gone.txt"));
        Exchange delta = template.request("direct:push",
                e -> e.getIn().setBody(List.of("docs/a.txt", "docs/gone.txt")));
        assertEquals(1, delta.getMessage().getHeader(RsyncConstants.FILES_TRANSFERRED, Integer.class));
        assertEquals(1, delta.getMessage().getHeader(RsyncConstants.DELETED_FILES, Integer.class));
        assertTrue(delta.getMessage().getHeader(RsyncConstants.LITERAL_BYTES, Long.class) > 0);
        assertEquals("a2, longer", Files.readString(mirror.resolve("docs/a.txt")));
        assertFalse(Files.exists(mirror.resolve("docs/gone.txt")));
        assertSameTree(src, mirror);

        // A string body: one path a line; a trailing slash sends the subtree.
        Files.writeString(src.resolve("docs/sub/c.txt"), "c");
        template.sendBody("direct:push", "docs/sub/\n");
        assertEquals("c", Files.readString(mirror.resolve("docs/sub/c.txt")));
    }

    /** pull=true: the module is fetched into the source directory (a restore), deletions included. */
    @Test
    void aPullRestoresTheModuleIntoTheSourceDirectory() throws Exception {
        Path backup = work.resolve("backup");
        Files.createDirectories(backup.resolve("etc"));
        Files.writeString(backup.resolve("etc/app.conf"), "kept on the backup");
        Files.createLink(backup.resolve("etc/app.conf.link"), backup.resolve("etc/app.conf"));
        Path restored = Files.createDirectories(work.resolve("restored"));
        Files.writeString(restored.resolve("stray.txt"), "not on the backup: deleted");
        Exchange e = template.request("direct:restore", x -> x.getIn().setBody("ignored"));
        assertEquals(null, e.getException());
        io.camelrsync.testing.TreeSnapshot.assertSameTree(backup, restored);
        assertEquals(1, e.getMessage().getHeader(RsyncConstants.FILES_TRANSFERRED, Integer.class),
                "one file sent, its other name linked: " + e.getMessage().getHeaders());
        assertEquals(1, e.getMessage().getHeader(RsyncConstants.DELETED_FILES, Integer.class));
        assertEquals(Files.getAttribute(restored.resolve("etc/app.conf"), "unix:ino"),
                Files.getAttribute(restored.resolve("etc/app.conf.link"), "unix:ino"));
    }

    @Test
    void passwordFileLogsIn() throws Exception {
        Files.writeString(src.resolve("secret.txt"), "for authorised eyes");
        template.sendBody("direct:secure", null);
        assertEquals("for authorised eyes", Files.readString(work.resolve("secure/secret.txt")));
    }

    @Test
    void unknownModuleFailsWithRsyncsErrorAndExitCode5() {
        CamelExecutionException e = assertThrows(CamelExecutionException.class,
                () -> template.sendBody("direct:nowhere", null));
        RsyncException cause = assertInstanceOf(RsyncException.class, e.getCause());
        assertEquals(5, cause.exitCode());
        assertTrue(cause.getMessage().contains("@ERROR: Unknown module 'no_such_module'"), cause.getMessage());
    }

    @Test
    void targetAndNetworkFailuresAreRsyncTargetExceptionsAndOthersAreNot() {
        // the mirror redelivers RsyncTargetException forever and escalates anything else
        CamelExecutionException unknown = assertThrows(CamelExecutionException.class,
                () -> template.sendBody("direct:nowhere", null));
        assertEquals(5, assertInstanceOf(RsyncTargetException.class, unknown.getCause()).exitCode());
        CamelExecutionException down = assertThrows(CamelExecutionException.class,
                () -> template.sendBody("direct:unreachable", null));
        assertEquals(10, assertInstanceOf(RsyncTargetException.class, down.getCause()).exitCode());
        CamelExecutionException refused = assertThrows(CamelExecutionException.class,
                () -> template.sendBody("direct:refused", null));
        RsyncException cause = assertInstanceOf(RsyncException.class, refused.getCause());
        assertFalse(cause instanceof RsyncTargetException, cause.toString());
        assertEquals(4, cause.exitCode());
        // the daemon's first error says why; its last is only rsync's summary line
        assertTrue(cause.getMessage().contains("The server is configured to refuse --delete"), cause.getMessage());
    }

    @Test
    void headersListThePathsThePushChangedOnTheTarget() throws Exception {
        Path from = work.resolve("paths-src");
        Path to = work.resolve("paths");
        Files.createDirectories(from.resolve("a"));
        Files.writeString(from.resolve("a/x"), "x");
        Files.writeString(from.resolve("b"), "b");
        // the module was made in the same second as the source, often: the receiver's whole-second check of "./"
        // would then find nothing to update
        Files.setLastModifiedTime(to, FileTime.fromMillis(Files.getLastModifiedTime(from).toMillis() - 3_600_000));
        Exchange first = template.request("direct:paths", e -> e.getIn().setBody(null));
        assertEquals(List.of("./", "b", "a/", "a/x"), // in rsync's file-list order: a directory's files first
                first.getMessage().getHeader(RsyncConstants.UPDATED_PATHS));
        assertEquals(List.of(), first.getMessage().getHeader(RsyncConstants.DELETED_PATHS));

        Exchange unchanged = template.request("direct:paths", e -> e.getIn().setBody(null));
        assertEquals(List.of(), unchanged.getMessage().getHeader(RsyncConstants.UPDATED_PATHS));

        Files.delete(to.resolve("b")); // behind the producer's back
        Files.writeString(to.resolve("a/extra"), "only on the target");
        Exchange fixed = template.request("direct:paths", e -> e.getIn().setBody(null));
        List<?> updated = fixed.getMessage().getHeader(RsyncConstants.UPDATED_PATHS, List.class);
        assertTrue(updated.contains("b") && !updated.contains("a/x"), updated.toString());
        assertEquals(List.of("a/extra"), fixed.getMessage().getHeader(RsyncConstants.DELETED_PATHS));
        assertSameTree(from, to);
    }

    @Test
    void endpointOptionsAreConfiguredThroughTheGeneratedConfigurer() {
        RsyncEndpoint ep = context.getEndpoint("rsync://example.org:1873/mod/sub/dir?source=/tmp&delete=true"
                + "&checksum=md5&protocol=30&timeout=7", RsyncEndpoint.class);
        assertEquals("example.org", ep.getHost());
        assertEquals(1873, ep.getPort());
        assertEquals("mod/sub/dir", ep.getModule());
        assertTrue(ep.isDelete());
        assertEquals("md5", ep.getChecksum());
        assertEquals(30, ep.getProtocol());
        assertEquals(7, ep.getTimeout());
        assertTrue(ep.isArchive(), "archive defaults to true");
    }
}
