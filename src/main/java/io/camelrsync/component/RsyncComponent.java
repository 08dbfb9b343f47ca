package io.camelrsync.component;

import java.util.Map;
import org.apache.camel.Endpoint;
import org.apache.camel.SSLContextParametersAware;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

/** The {@code rsync:} component: pushes to rsync daemons with the protocol implemented in Java, or is one. */
@Component("rsync")
public class RsyncComponent extends DefaultComponent implements SSLContextParametersAware {
    @Metadata(label = "security", defaultValue = "false", description = "Consumers without TLS options of their own"
            + " use the CamelContext's global SSL context parameters")
    private boolean useGlobalSslContextParameters;

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        RsyncEndpoint endpoint = new RsyncEndpoint(uri, this);
        endpoint.parseAddress(remaining);
        setProperties(endpoint, parameters);
        if (endpoint.getSslContextParameters() == null && endpoint.getSslCertFile() == null) {
            endpoint.setSslContextParameters(retrieveGlobalSslContextParameters());
        }
        return endpoint;
    }

    @Override
    public boolean isUseGlobalSslContextParameters() {
        return useGlobalSslContextParameters;
    }

    @Override
    public void setUseGlobalSslContextParameters(boolean useGlobalSslContextParameters) {
        this.useGlobalSslContextParameters = useGlobalSslContextParameters;
    }
}
