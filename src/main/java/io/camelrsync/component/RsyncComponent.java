package io.camelrsync.component;

import java.util.Map;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

/** The {@code rsync:} component: pushes to rsync daemons with the protocol implemented in Java. */
@Component("rsync")
public class RsyncComponent extends DefaultComponent {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        RsyncEndpoint endpoint = new RsyncEndpoint(uri, this);
        endpoint.parseAddress(remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }
}
