/* SDP fixtures for the SDP rewrite tests and the fuzz target: the real Chromium offer from
 * /work/shared/testdata, other browsers' and baresip-style phones' SDP, and AGW W3 Local replies.
 * Macros (string literals) so that a test that uses only some of them builds without warnings. */
#ifndef SDP_FIXTURES_H
#define SDP_FIXTURES_H

/* Byte-for-byte copy of testdata/chromium-156-audio-offer.sdp (checked against the file when it
 * is present): Chromium, one audio m= line, gathered candidates, BUNDLE 0. */
#define FX_CHROMIUM_OFFER_PATH "../shared/testdata/chromium-156-audio-offer.sdp"
#define FX_CHROMIUM_OFFER                                                                          \
    "v=0\r\n"                                                                                      \
    "o=- 3933184505356581751 2 IN IP4 127.0.0.1\r\n"                                               \
    "s=-\r\n"                                                                                      \
    "t=0 0\r\n"                                                                                    \
    "a=group:BUNDLE 0\r\n"                                                                         \
    "a=extmap-allow-mixed\r\n"                                                                     \
    "a=msid-semantic: WMS 81922352-38aa-4781-8d35-7cd3bd42a0c4\r\n"                                \
    "m=audio 59562 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"                                  \
    "c=IN IP4 127.0.0.1\r\n"                                                                       \
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"                                                                  \
    "a=candidate:927872897 1 udp 2122260223 127.0.0.1 59562 typ host generation 0 network-id 1 "   \
    "network-cost 50\r\n"                                                                          \
    "a=candidate:3387220757 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 "    \
    "network-id 1 network-cost 50\r\n"                                                             \
    "a=ice-ufrag:kNbi\r\n"                                                                         \
    "a=ice-pwd:8Ina7z7wltuI6NY0R4d8AjUj\r\n"                                                       \
    "a=ice-options:trickle\r\n"                                                                    \
    "a=fingerprint:sha-256 "                                                                       \
    "7E:8F:16:C1:28:CD:F5:D1:C6:2F:09:99:51:D0:2D:9C:9B:DE:42:47:1E:38:AA:AE:BE:36:58:45:40:3F:"   \
    "FD:9C\r\n"                                                                                    \
    "a=setup:actpass\r\n"                                                                          \
    "a=mid:0\r\n"                                                                                  \
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"                                   \
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"                    \
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"     \
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"                                           \
    "a=sendrecv\r\n"                                                                               \
    "a=msid:81922352-38aa-4781-8d35-7cd3bd42a0c4 2cd0b12d-04d8-4592-a007-c3cac8aa0a1f\r\n"         \
    "a=rtcp-mux\r\n"                                                                               \
    "a=rtcp-rsize\r\n"                                                                             \
    "a=rtcp-xr:rcvr-rtt=all\r\n"                                                                   \
    "a=rtpmap:111 opus/48000/2\r\n"                                                                \
    "a=rtcp-fb:111 transport-cc\r\n"                                                               \
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"                                                    \
    "a=rtpmap:63 red/48000/2\r\n"                                                                  \
    "a=fmtp:63 111/111\r\n"                                                                        \
    "a=rtpmap:9 G722/8000\r\n"                                                                     \
    "a=rtpmap:0 PCMU/8000\r\n"                                                                     \
    "a=rtpmap:8 PCMA/8000\r\n"                                                                     \
    "a=rtpmap:13 CN/8000\r\n"                                                                      \
    "a=rtpmap:110 telephone-event/48000\r\n"                                                       \
    "a=rtpmap:126 telephone-event/8000\r\n"                                                        \
    "a=ssrc:2731307232 cname:0s41WA0r4xgBRKgA\r\n"                                                 \
    "a=ssrc:2731307232 msid:81922352-38aa-4781-8d35-7cd3bd42a0c4 "                                 \
    "2cd0b12d-04d8-4592-a007-c3cac8aa0a1f\r\n"

/* Chromium offer with audio, video and a data channel, gathering not finished (port 9). */
#define FX_CHROME_AV_OFFER                                                                         \
    "v=0\r\n"                                                                                      \
    "o=- 8271440350212519624 2 IN IP4 127.0.0.1\r\n"                                               \
    "s=-\r\n"                                                                                      \
    "t=0 0\r\n"                                                                                    \
    "a=group:BUNDLE 0 1 2\r\n"                                                                     \
    "a=extmap-allow-mixed\r\n"                                                                     \
    "a=msid-semantic: WMS 5c1e7f0a-2b4d-4e8a-9c3f-1d2e3f4a5b6c\r\n"                                \
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"                                      \
    "c=IN IP4 0.0.0.0\r\n"                                                                         \
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"                                                                  \
    "a=ice-ufrag:Hq0d\r\n"                                                                         \
    "a=ice-pwd:1gJUh4tU0aXqPq3Zy0KbH9Xn\r\n"                                                       \
    "a=ice-options:trickle\r\n"                                                                    \
    "a=fingerprint:sha-256 "                                                                       \
    "D2:CD:E4:B6:25:31:C3:2F:05:75:F5:AD:8B:13:6E:77:F2:F9:EE:C7:A8:D3:FE:10:4E:51:24:87:DA:E4:"   \
    "53:B1\r\n"                                                                                    \
    "a=setup:actpass\r\n"                                                                          \
    "a=mid:0\r\n"                                                                                  \
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"                                   \
    "a=sendrecv\r\n"                                                                               \
    "a=msid:5c1e7f0a-2b4d-4e8a-9c3f-1d2e3f4a5b6c 7d8e9f00-1122-4334-8556-677889900aab\r\n"         \
    "a=rtcp-mux\r\n"                                                                               \
    "a=rtcp-rsize\r\n"                                                                             \
    "a=rtpmap:111 opus/48000/2\r\n"                                                                \
    "a=rtcp-fb:111 transport-cc\r\n"                                                               \
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"                                                    \
    "a=rtpmap:63 red/48000/2\r\n"                                                                  \
    "a=fmtp:63 111/111\r\n"                                                                        \
    "a=rtpmap:9 G722/8000\r\n"                                                                     \
    "a=rtpmap:0 PCMU/8000\r\n"                                                                     \
    "a=rtpmap:8 PCMA/8000\r\n"                                                                     \
    "a=rtpmap:13 CN/8000\r\n"                                                                      \
    "a=rtpmap:110 telephone-event/48000\r\n"                                                       \
    "a=rtpmap:126 telephone-event/8000\r\n"                                                        \
    "a=ssrc:3735928559 cname:Qm9vYmF6cXV4Zm9v\r\n"                                                 \
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"                                                        \
    "c=IN IP4 0.0.0.0\r\n"                                                                         \
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"                                                                  \
    "a=ice-ufrag:Hq0d\r\n"                                                                         \
    "a=ice-pwd:1gJUh4tU0aXqPq3Zy0KbH9Xn\r\n"                                                       \
    "a=ice-options:trickle\r\n"                                                                    \
    "a=fingerprint:sha-256 "                                                                       \
    "D2:CD:E4:B6:25:31:C3:2F:05:75:F5:AD:8B:13:6E:77:F2:F9:EE:C7:A8:D3:FE:10:4E:51:24:87:DA:E4:"   \
    "53:B1\r\n"                                                                                    \
    "a=setup:actpass\r\n"                                                                          \
    "a=mid:1\r\n"                                                                                  \
    "a=sendrecv\r\n"                                                                               \
    "a=rtcp-mux\r\n"                                                                               \
    "a=rtcp-rsize\r\n"                                                                             \
    "a=rtpmap:96 VP8/90000\r\n"                                                                    \
    "a=rtcp-fb:96 nack\r\n"                                                                        \
    "a=rtpmap:97 rtx/90000\r\n"                                                                    \
    "a=fmtp:97 apt=96\r\n"                                                                         \
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"                                         \
    "c=IN IP4 0.0.0.0\r\n"                                                                         \
    "a=ice-ufrag:Hq0d\r\n"                                                                         \
    "a=ice-pwd:1gJUh4tU0aXqPq3Zy0KbH9Xn\r\n"                                                       \
    "a=ice-options:trickle\r\n"                                                                    \
    "a=fingerprint:sha-256 "                                                                       \
    "D2:CD:E4:B6:25:31:C3:2F:05:75:F5:AD:8B:13:6E:77:F2:F9:EE:C7:A8:D3:FE:10:4E:51:24:87:DA:E4:"   \
    "53:B1\r\n"                                                                                    \
    "a=setup:actpass\r\n"                                                                          \
    "a=mid:2\r\n"                                                                                  \
    "a=sctp-port:5000\r\n"                                                                         \
    "a=max-message-size:262144\r\n"

/* Firefox offer: fingerprint and ice-options at session level, opus 109, telephone-event 101,
 * fmtp before rtpmap, "/1" channel counts. */
#define FX_FIREFOX_OFFER                                                                           \
    "v=0\r\n"                                                                                      \
    "o=mozilla...THIS_IS_SDPARTA-128.0 5381812418367036425 0 IN IP4 0.0.0.0\r\n"                   \
    "s=-\r\n"                                                                                      \
    "t=0 0\r\n"                                                                                    \
    "a=fingerprint:sha-256 "                                                                       \
    "3B:91:6D:0E:A8:54:C7:22:9F:E1:04:B3:7A:68:D5:1C:E9:40:2F:86:BB:13:C5:7E:F0:59:A2:34:8D:C6:"   \
    "1B:E7\r\n"                                                                                    \
    "a=group:BUNDLE 0\r\n"                                                                         \
    "a=ice-options:trickle\r\n"                                                                    \
    "a=msid-semantic:WMS *\r\n"                                                                    \
    "m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\n"                                                \
    "c=IN IP4 0.0.0.0\r\n"                                                                         \
    "a=sendrecv\r\n"                                                                               \
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"                                   \
    "a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level\r\n"                          \
    "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"                                           \
    "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\r\n"                                 \
    "a=fmtp:101 0-15\r\n"                                                                          \
    "a=ice-pwd:e0b6d3b5e8a2d1f7a4c9b8e1f2d3c4b5\r\n"                                               \
    "a=ice-ufrag:8f3a2b1c\r\n"                                                                     \
    "a=mid:0\r\n"                                                                                  \
    "a=msid:{0f3d6c2e-8a1b-4c5d-9e7f-102030405060} {a1b2c3d4-e5f6-4789-8abc-def012345678}\r\n"     \
    "a=rtcp-mux\r\n"                                                                               \
    "a=rtpmap:109 opus/48000/2\r\n"                                                                \
    "a=rtpmap:9 G722/8000/1\r\n"                                                                   \
    "a=rtpmap:0 PCMU/8000\r\n"                                                                     \
    "a=rtpmap:8 PCMA/8000\r\n"                                                                     \
    "a=rtpmap:101 telephone-event/8000/1\r\n"                                                      \
    "a=setup:actpass\r\n"                                                                          \
    "a=ssrc:1977937245 cname:{5b6c7d8e-9fa0-4b1c-8d2e-3f405162738a}\r\n"

/* A baresip-like IMS phone offering audio (opus, G.722, G.711, telephone-event) and video. */
#define FX_PHONE_OFFER                                                                             \
    "v=0\r\n"                                                                                      \
    "o=- 1214338581 3614237427 IN IP4 127.0.10.20\r\n"                                             \
    "s=-\r\n"                                                                                      \
    "c=IN IP4 127.0.10.20\r\n"                                                                     \
    "t=0 0\r\n"                                                                                    \
    "a=tool:baresip 3.10.1\r\n"                                                                    \
    "m=audio 11036 RTP/AVP 96 9 0 8 101\r\n"                                                       \
    "b=AS:80\r\n"                                                                                  \
    "a=rtpmap:96 opus/48000/2\r\n"                                                                 \
    "a=fmtp:96 stereo=1;sprop-stereo=1\r\n"                                                        \
    "a=rtpmap:9 G722/8000\r\n"                                                                     \
    "a=rtpmap:0 PCMU/8000\r\n"                                                                     \
    "a=rtpmap:8 PCMA/8000\r\n"                                                                     \
    "a=rtpmap:101 telephone-event/8000\r\n"                                                        \
    "a=fmtp:101 0-15\r\n"                                                                          \
    "a=sendrecv\r\n"                                                                               \
    "a=label:1\r\n"                                                                                \
    "a=rtcp-rsize\r\n"                                                                             \
    "a=ssrc:1589123563 cname:b3b1d2c8-77a4-4b1e-9d0b-6c4a3c1f2e10\r\n"                             \
    "a=ptime:20\r\n"                                                                               \
    "m=video 11038 RTP/AVP 97\r\n"                                                                 \
    "b=AS:1000\r\n"                                                                                \
    "a=rtpmap:97 H264/90000\r\n"                                                                   \
    "a=fmtp:97 packetization-mode=0;profile-level-id=42e01f\r\n"                                   \
    "a=sendrecv\r\n"

/* A phone whose telephone-event payload type (77) clashes with RTCP under rtcp-mux. */
#define FX_PHONE_OFFER_PT77                                                                        \
    "v=0\r\n"                                                                                      \
    "o=- 3001 1 IN IP4 127.0.10.21\r\n"                                                            \
    "s=-\r\n"                                                                                      \
    "c=IN IP4 127.0.10.21\r\n"                                                                     \
    "t=0 0\r\n"                                                                                    \
    "m=audio 12000 RTP/AVP 8 77\r\n"                                                               \
    "a=rtpmap:8 PCMA/8000\r\n"                                                                     \
    "a=rtpmap:77 telephone-event/8000\r\n"                                                         \
    "a=fmtp:77 0-16\r\n"                                                                           \
    "a=sendrecv\r\n"

/* The phone's answer to our RTP/AVP offer "0 8 126": PCMU, telephone-event as 101. */
#define FX_PHONE_ANSWER                                                                            \
    "v=0\r\n"                                                                                      \
    "o=- 2890844526 2890844527 IN IP4 127.0.10.20\r\n"                                             \
    "s=-\r\n"                                                                                      \
    "c=IN IP4 127.0.10.20\r\n"                                                                     \
    "t=0 0\r\n"                                                                                    \
    "a=tool:baresip 3.10.1\r\n"                                                                    \
    "m=audio 10002 RTP/AVP 0 101\r\n"                                                              \
    "b=AS:80\r\n"                                                                                  \
    "a=rtpmap:0 PCMU/8000\r\n"                                                                     \
    "a=rtpmap:101 telephone-event/8000\r\n"                                                        \
    "a=fmtp:101 0-15\r\n"                                                                          \
    "a=sendrecv\r\n"                                                                               \
    "a=ptime:20\r\n"

/* AGW W3 Local as returned in the Iq Add reply when answering a WIC offer (SPECS.md §4.5 (4)). */
#define FX_AGW_LOCAL_ANSWER                                                                        \
    "v=0\r\n"                                                                                      \
    "o=- 0 0 IN IP4 127.0.10.3\r\n"                                                                \
    "s=-\r\n"                                                                                      \
    "t=0 0\r\n"                                                                                    \
    "a=ice-lite\r\n"                                                                               \
    "m=audio 20000 UDP/TLS/RTP/SAVPF 0 8 126\r\n"                                                  \
    "c=IN IP4 127.0.10.3\r\n"                                                                      \
    "a=rtcp-mux\r\n"                                                                               \
    "a=ice-ufrag:aG7k\r\n"                                                                         \
    "a=ice-pwd:q8Lw2n0YvB1sT6cE4hJ9rU3k\r\n"                                                       \
    "a=fingerprint:sha-256 "                                                                       \
    "4A:1F:0B:77:C2:9E:51:D8:3A:6F:E0:12:8B:44:F9:2C:D5:70:1E:A3:66:BD:08:C4:93:5E:7A:21:FF:0D:"   \
    "B6:9C\r\n"                                                                                    \
    "a=setup:active\r\n"                                                                           \
    "a=candidate:1 1 udp 2130706431 127.0.10.3 20000 typ host\r\n"                                 \
    "a=end-of-candidates\r\n"                                                                      \
    "a=rtpmap:0 PCMU/8000\r\n"                                                                     \
    "a=rtpmap:8 PCMA/8000\r\n"                                                                     \
    "a=rtpmap:126 telephone-event/8000\r\n"

/* AGW W3 Local when the AGW offers toward a WIC (IMS-originated call): setup actpass. */
#define FX_AGW_LOCAL_OFFER                                                                         \
    "v=0\r\n"                                                                                      \
    "o=- 0 0 IN IP4 127.0.10.3\r\n"                                                                \
    "s=-\r\n"                                                                                      \
    "t=0 0\r\n"                                                                                    \
    "a=ice-lite\r\n"                                                                               \
    "m=audio 20004 UDP/TLS/RTP/SAVPF 0 8 101\r\n"                                                  \
    "c=IN IP4 127.0.10.3\r\n"                                                                      \
    "a=rtcp-mux\r\n"                                                                               \
    "a=ice-ufrag:Vd3x\r\n"                                                                         \
    "a=ice-pwd:Zr9Qm2Kp7Ls4Wb1Nc6Yt8Hf\r\n"                                                        \
    "a=fingerprint:sha-256 "                                                                       \
    "4A:1F:0B:77:C2:9E:51:D8:3A:6F:E0:12:8B:44:F9:2C:D5:70:1E:A3:66:BD:08:C4:93:5E:7A:21:FF:0D:"   \
    "B6:9C\r\n"                                                                                    \
    "a=setup:actpass\r\n"                                                                          \
    "a=candidate:1 1 udp 2130706431 127.0.10.3 20004 typ host\r\n"                                 \
    "a=end-of-candidates\r\n"                                                                      \
    "a=rtpmap:0 PCMU/8000\r\n"                                                                     \
    "a=rtpmap:8 PCMA/8000\r\n"                                                                     \
    "a=rtpmap:101 telephone-event/8000\r\n"

/* Chromium answering our WebRTC offer built from FX_PHONE_OFFER_PT77 (77 renumbered 96). */
#define FX_CHROME_ANSWER                                                                           \
    "v=0\r\n"                                                                                      \
    "o=- 6283528946221034470 2 IN IP4 127.0.0.1\r\n"                                               \
    "s=-\r\n"                                                                                      \
    "t=0 0\r\n"                                                                                    \
    "a=group:BUNDLE 0\r\n"                                                                         \
    "a=extmap-allow-mixed\r\n"                                                                     \
    "a=msid-semantic: WMS 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d\r\n"                                \
    "m=audio 9 UDP/TLS/RTP/SAVPF 8 96\r\n"                                                         \
    "c=IN IP4 0.0.0.0\r\n"                                                                         \
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"                                                                  \
    "a=ice-ufrag:Zk3q\r\n"                                                                         \
    "a=ice-pwd:3sN0yF8mWv1QdB7rXe2LpKc9\r\n"                                                       \
    "a=ice-options:trickle\r\n"                                                                    \
    "a=fingerprint:sha-256 "                                                                       \
    "91:0C:5E:A7:33:DF:18:B2:6A:E5:40:C9:7F:21:8E:D6:03:BA:64:F8:1D:97:2C:E0:55:A3:4B:6F:C8:12:"   \
    "DE:79\r\n"                                                                                    \
    "a=setup:active\r\n"                                                                           \
    "a=mid:0\r\n"                                                                                  \
    "a=sendrecv\r\n"                                                                               \
    "a=msid:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d 0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9\r\n"         \
    "a=rtcp-mux\r\n"                                                                               \
    "a=rtpmap:8 PCMA/8000\r\n"                                                                     \
    "a=rtpmap:96 telephone-event/8000\r\n"                                                         \
    "a=fmtp:96 0-15\r\n"                                                                           \
    "a=ssrc:2882400001 cname:c2FtcGxlY25hbWUx\r\n"

#endif
