/* route_model.h: the letter-trigram cost table the route heuristic scores words with. */
#ifndef OBI_ROUTE_MODEL_H
#define OBI_ROUTE_MODEL_H

/* Index 0 is the word boundary, 1..26 the letters a..z. */
#define ROUTE_MODEL_N 27

/* route_model_cost[a][b][c]: round(-4 log2 P(c | a b)) over English words, at most 255. */
extern const unsigned char route_model_cost[ROUTE_MODEL_N][ROUTE_MODEL_N][ROUTE_MODEL_N];

#endif /* OBI_ROUTE_MODEL_H */
