// Every ready-made callback (namespace lowp::callbacks) and the callback
// concept they satisfy. Pass any of them to a solver's optimize().
#ifndef LOWP_CALLBACKS_HPP
#define LOWP_CALLBACKS_HPP
#include "lowp/callbacks/callbacks.hpp"
#include "lowp/callbacks/early_stop_at_min_loss.hpp"
#include "lowp/callbacks/gap_tolerance.hpp"
#include "lowp/callbacks/optional_callback.hpp"
#include "lowp/callbacks/print_loss.hpp"
#include "lowp/callbacks/progress_bar.hpp"
#include "lowp/callbacks/store_best.hpp"
#include "lowp/callbacks/time_limit.hpp"
#include "lowp/callbacks/trace_to_csv.hpp"
#endif
