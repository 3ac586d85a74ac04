package models

import (
	"time"
)

// Product is a sellable item, counted in cases (Unit) of PackSize pieces (PackUnit).
type Product struct {
	ID            int64
	Code          string
	Name          string
	Aliases       string // "|"-separated
	Unit          string // 箱
	PackSize      int    // pieces per case
	PackUnit      string // 瓶, 罐
	ShelfLifeDays int
	FactoryPrice  Money  // 出厂价 per case
	FloorPrice    Money  // 最低限价 per case
	SafetyFactor  Factor // 安全库存 = 实销 × SafetyFactor
	// Units are further units the product is counted in, with their pieces:
	// "提=6|板=24" ("|"-separated; see ParseUnits).
	Units     string
	CreatedAt time.Time
	UpdatedAt time.Time
}
