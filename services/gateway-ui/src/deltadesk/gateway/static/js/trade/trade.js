// The Trade tab: one ticket shared by the builder, the chain and the review.

import { mountBuilder } from "./builder.js";
import { mountChain } from "./chain.js";
import { mountReview } from "./review.js";
import { Ticket } from "./ticket.js";

export function mount(store) {
  const ticket = new Ticket();
  mountBuilder(store, ticket);
  mountChain(store, ticket);
  mountReview(store, ticket);
}
