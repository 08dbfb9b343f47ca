package io.camelrsync.daemonconf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemonconf.ModuleConf.AuthUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rsyncd.conf as operators write it, including the mistakes they make. */
class RsyncdConfTest {
    @TempDir
    Path dir;

    private RsyncdConf read(String text) throws Exception {
        Path f = dir.resolve("rsyncd.conf");
        Files.writeString(f, text);
        return RsyncdConf.read(f);
    }

    @Test
    void theSeedModuleReadsUnchanged() throws Exception {
        RsyncdConf c = read("""
                [app_rsync_client]
                path = /app/rsync_client/
                uid = root
                gid = root
                read only = no
                list = no
                max connections = 200
                timeout = 600
                auth users = rsync
                secrets file = /etc/rsync.pass
                hosts allow = 192.168.0.45
                hosts deny = 192.168.0.46,192.168.0.47
                """);
        ModuleConf m = c.module("app_rsync_client").orElseThrow();
        assertEquals("/app/rsync_client/", m.path());
        assertEquals("root", m.uid());
        assertFalse(m.readOnly());
        assertFalse(m.list());
        assertEquals(200, m.maxConnections());
        assertEquals(600, m.timeout());
        assertEquals(List.of(new AuthUser("rsync", AuthUser.Access.DEFAULT)), m.authUsers());
        assertEquals("/etc/rsync.pass", m.secretsFile());
        assertEquals(List.of("192.168.0.45"), m.hostsAllow());
        assertEquals(List.of("192.168.0.46", "192.168.0.47"), m.hostsDeny());
        assertEquals(List.of(), c.warnings());
    }

    @Test
    void aCommentAfterAFileNameIsCutOffAndReportedWithItsLine() throws Exception {
        RsyncdConf c = read("""
                log file = /var/log/rsyncd.log    #日志文件位置
                [m]
                path = /srv/m
                secrets file = /etc/rsync.pass   # mode 600
                comment = backups ; nightly
                """);
        ConfParam p = c.module("m").orElseThrow().param("secrets file").orElseThrow();
        assertEquals("/etc/rsync.pass", p.value(), "a file name with a remark helps nobody");
        assertTrue(p.inlineComment());
        assertEquals(4, p.line());
        assertEquals("/var/log/rsyncd.log", c.global("log file").orElseThrow().value());
        ConfParam comment = c.module("m").orElseThrow().param("comment").orElseThrow();
        assertEquals("backups ; nightly", comment.value(), "any other value keeps it, as rsync does");
        assertEquals(3, c.warnings().size(), c.warnings()::toString);
        String w = c.warnings().get(1);
        assertTrue(w.contains("rsyncd.conf line 4") && w.contains("no comments after values")
                && w.contains("using \"/etc/rsync.pass\""), w);
    }

    @Test
    void misspeltParametersAreNamedWithTheirLineAndASuggestion() throws Exception {
        RsyncdConf c = read("""
                [m]
                path = /srv/m
                mac connections = 10
                """);
        assertEquals(0, c.module("m").orElseThrow().maxConnections(), "an unknown parameter sets nothing");
        assertEquals(1, c.warnings().size());
        String w = c.warnings().get(0);
        assertTrue(w.contains("line 3") && w.contains("unknown parameter \"mac connections\"")
                && w.contains("did you mean \"max connections\""), w);
    }

    @Test
    void namesIgnoreCaseAndSpacingAndGlobalsAreModuleDefaults() throws Exception {
        RsyncdConf c = read("""
                # global section
                ; also a comment
                port = 8730
                Read Only = no
                MaxConnections = 7
                uid = nobody
                [a]
                path = /srv/a
                [b]
                path = /srv/b
                read_only = yes
                """);
        assertEquals("8730", c.global("port").orElseThrow().value());
        assertFalse(c.module("a").orElseThrow().readOnly());
        assertTrue(c.module("b").orElseThrow().readOnly(), "a module overrides the default");
        assertEquals(7, c.module("b").orElseThrow().maxConnections());
        assertEquals("nobody", c.module("a").orElseThrow().uid());
        assertEquals(List.of("a", "b"), List.copyOf(c.modules().keySet()));
        assertEquals(List.of(), c.warnings());
    }

    @Test
    void continuationsIncludesBadValuesAndMisplacedGlobals() throws Exception {
        Files.createDirectories(dir.resolve("conf.d"));
        Files.writeString(dir.resolve("conf.d/extra.conf"), "[extra]\npath = /srv/extra\n");
        RsyncdConf c = read("""
                [m]
                path = /srv/m
                hosts allow = 10.0.0.1 \\
                    10.0.0.2
                use chroot = perhaps
                timeout = ten
                pid file = /run/x.pid
                auth users = alice:ro, @admins:rw, mallory:deny
                &include conf.d
                """);
        ModuleConf m = c.module("m").orElseThrow();
        assertEquals(List.of("10.0.0.1", "10.0.0.2"), m.hostsAllow());
        assertEquals(Optional.empty(), m.useChroot(), "an unreadable boolean stays unset");
        assertEquals(List.of(new AuthUser("alice", AuthUser.Access.READ_ONLY),
                new AuthUser("@admins", AuthUser.Access.READ_WRITE),
                new AuthUser("mallory", AuthUser.Access.DENY)), m.authUsers());
        assertTrue(c.module("extra").isPresent(), "&include of a directory reads its *.conf files");
        assertTrue(c.global("pid file").isEmpty());
        String all = String.join("\n", c.warnings());
        assertTrue(all.contains("line 5") && all.contains("\"use chroot\" needs yes or no"), all);
        assertTrue(all.contains("line 6") && all.contains("\"timeout\" needs a number"), all);
        assertTrue(all.contains("line 7") && all.contains("global parameter \"pid file\" in module [m]"), all);
    }
}
