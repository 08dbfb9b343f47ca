package io.camelrsync.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.protocol.ClientArgs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client's -b, --backup-dir and --suffix as the receiver plans them (moved from BackupDaemonTest). */
class BackupPlanTest {
    @Test
    void argumentsAsStockClientsSendThem() throws Exception {
        ClientArgs a = ClientArgs.parse(List.of("--server", "-vblogDtpre.iLsfxCIvu", "--backup-dir", "old\\ files",
                "--suffix=\\~v1", ".", "m/"));
        assertTrue(a.backup() && a.refusal() == null, String.valueOf(a.refusal()));
        assertEquals("old files", a.backupDir());
        assertEquals("~v1", a.suffix());
        assertEquals(List.of("m/"), a.paths());
        BackupPlan plan = BackupPlan.of(a, List.of("site"));
        assertEquals(List.of("site", "old files"), plan.dir());
        assertEquals("~v1", plan.suffix());

        // the default suffix, and the checks of options.c
        assertEquals("~", BackupPlan.of(ClientArgs.parse(List.of("--server", "-br", ".", "m/")), List.of()).suffix());
        BackupPlan.Rejected e = assertThrows(BackupPlan.Rejected.class, () -> BackupPlan.of(ClientArgs.parse(
                List.of("--server", "-br", "--suffix=a/b", ".", "m/")), List.of()));
        assertTrue(e.getMessage().contains("--suffix cannot contain slashes"), e.getMessage());
        e = assertThrows(BackupPlan.Rejected.class, () -> BackupPlan.of(ClientArgs.parse(
                List.of("--server", "-br", "--suffix=", ".", "m/")), List.of()));
        assertTrue(e.getMessage().contains("--suffix cannot be empty without a --backup-dir"), e.getMessage());
        assertEquals(List.of("x", "z"), ModulePath.sanitize("/../x/./y/../../../x//z/", 0));
    }
}
