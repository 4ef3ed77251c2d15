// The SGD/SVRG family: SGD, LP-SGD, SVRG, LP-SVRG and HALP.
#ifndef LOWP_SOLVERS_SOLVERS_HPP
#define LOWP_SOLVERS_SOLVERS_HPP
#include "lowp/objectives/linear_model.hpp"
#include "lowp/objectives/objective.hpp"
#include "lowp/solvers/halp/halp.hpp"
#include "lowp/solvers/sgd/sgd.hpp"
#include "lowp/solvers/svrg/svrg.hpp"
#endif
