package io.camelrsync.mirror;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The status page (status.html beside this class): inline CSS and script that render MirrorMetrics' JSON. */
public final class StatusPage {
    private static final String HTML = load();

    private StatusPage() {
    }

    public static String html() {
        return HTML;
    }

    private static String load() {
        try (InputStream in = StatusPage.class.getResourceAsStream("status.html")) {
            if (in == null) {
                throw new IllegalStateException("status.html is missing beside " + StatusPage.class.getName());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
