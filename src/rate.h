/* SPDX-License-Identifier: MIT */
/* Token bucket for new connections per second; pure, the time is passed in. */
#ifndef ACCEPTD_RATE_H
#define ACCEPTD_RATE_H

#include <stdint.h>

struct bucket {
	double tokens;
	uint64_t last; /* usec of the last refill */
};

/* A full bucket at NOW. */
void rate_init(struct bucket *b, double burst, uint64_t now);

/*
 * Refill at RATE per second up to BURST as of NOW. Returns 0 when a token
 * is there, else how many usec until one is due (the service pauses exactly
 * that long, never longer).
 */
uint64_t rate_due(struct bucket *b, double rate, double burst, uint64_t now);

/* Spend one token (after rate_due() said there is one). */
void rate_spend(struct bucket *b);

#endif
