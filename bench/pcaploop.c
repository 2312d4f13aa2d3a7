/*
 * bench/pcaploop.c - the floor of the benchmark: read a capture file with
 * libpcap and count its packets and bytes, nothing else. bench/run compiles
 * it with `cc -O2 bench/pcaploop.c -lpcap`.
 *
 * Prints "<packets> packets <bytes> bytes"; exits 1 if the file cannot be
 * read to its end.
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	unsigned long long packets = 0, bytes = 0;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: pcaploop FILE\n");
		return 2;
	}
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "pcaploop: %s\n", err);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		packets++;
		bytes += hdr->caplen;
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "pcaploop: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	printf("%llu packets %llu bytes\n", packets, bytes);
	return 0;
}
