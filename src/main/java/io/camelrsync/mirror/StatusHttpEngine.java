package io.camelrsync.mirror;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

/**
 * platform-http's Vert.x engine bound to the status page's server (camel.server.port). Camel 4.17's engine finds its
 * server by type and, with the management server (the observe endpoints) running beside it, finds two and falls
 * back to port 8080, where no router is.
 */
public class StatusHttpEngine extends VertxPlatformHttpEngine {
    private int port;

    @Override
    public int getServerPort() {
        return port;
    }

    public void setPort(int port) {
        this.port = port;
    }

    public int getPort() {
        return port;
    }
}
