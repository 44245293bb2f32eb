package org.mailcluster.transport.grpc;

import java.net.Socket;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The server's TLS trust manager: it lets any client certificate (or none) through the handshake.
 * It names no accepted issuer, so that a peer holding a certificate from the wrong CA still sends
 * it (TLS clients withhold certificates from issuers the server did not list) and hears exactly
 * that. The {@link PeerAuthenticator} then checks the certificate on every cluster call and refuses
 * with a status that says what is wrong, which a failed handshake cannot.
 */
final class AcceptAnyClientCertificate extends X509ExtendedTrustManager {
  AcceptAnyClientCertificate() {}

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
    return new X509Certificate[0];
  }
}
