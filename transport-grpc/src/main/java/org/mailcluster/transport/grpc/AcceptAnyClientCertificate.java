package org.mailcluster.transport.grpc;

import java.net.Socket;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The server's TLS trust manager: it lets any client certificate (or none) through the handshake
 * and names the cluster CA as the accepted issuer, so clients pick the right certificate. The
 * {@link PeerAuthenticator} then checks the certificate on every cluster call and refuses with a
 * status that says what is wrong, which a failed handshake cannot.
 */
final class AcceptAnyClientCertificate extends X509ExtendedTrustManager {
  private final X509Certificate ca;

  AcceptAnyClientCertificate(X509Certificate ca) {
    this.ca = ca;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) {
    throw new UnsupportedOperationException("a server-side trust manager checks only clients");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
    throw new UnsupportedOperationException("a server-side trust manager checks only clients");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
    throw new UnsupportedOperationException("a server-side trust manager checks only clients");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[] {ca};
  }
}
