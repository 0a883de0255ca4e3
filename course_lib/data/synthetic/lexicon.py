"""Word lists of the generated English (the lexicon behind :mod:`.language`).

Every entry is plain lower-case ASCII (proper names capitalised; a few
apostrophes and hyphens), so that eSpeak NG can read it. Feeling and judging
words are grouped by valence (``neg``, ``zero``, ``pos``) and arousal
(``low``, ``mid``, ``high``): the generator picks the group from a turn's
latent emotion, then a word uniformly inside it. Content words (names,
places, objects, food, activities, topics) carry no emotion; they make
improvised turns varied, as in real conversation.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    """Whitespace-separated words of ``text``, ``_`` standing for a space inside an entry."""
    return tuple(word.replace("_", " ") for word in text.split())


#: How a speaker says they feel, by (valence, arousal).
FEELINGS: dict[tuple[str, str], tuple[str, ...]] = {
    ("neg", "high"): _words(
        "furious livid enraged outraged infuriated incensed seething fuming irate hysterical "
        "panicked frantic appalled disgusted horrified terrified exasperated indignant "
        "hostile bitter resentful vengeful explosive agitated provoked insulted betrayed "
        "humiliated mortified sickened repulsed wild"
    ),
    ("neg", "mid"): _words(
        "annoyed irritated frustrated bothered fed_up stuck impatient uneasy tense stressed "
        "cranky grumpy sour touchy upset troubled worried nervous anxious restless edgy "
        "displeased disappointed offended jealous confused overwhelmed cornered trapped "
        "pressured harassed neglected ignored cheated"
    ),
    ("neg", "low"): _words(
        "sad miserable gloomy depressed lonely heartbroken hopeless helpless empty numb "
        "defeated discouraged dejected despondent downcast unhappy sorrowful mournful "
        "grieving lost hurt wounded crushed broken drained exhausted weary tired sorry "
        "ashamed guilty regretful homesick abandoned forgotten"
    ),
    ("zero", "high"): _words("surprised startled alert curious amazed astonished stunned awake eager wired"),
    ("zero", "mid"): _words("fine okay alright normal busy ready sure settled steady"),
    ("zero", "low"): _words("calm sleepy quiet relaxed still thoughtful neutral indifferent patient"),
    ("pos", "high"): _words(
        "thrilled ecstatic elated overjoyed delighted excited euphoric jubilant exhilarated "
        "psyched pumped giddy electrified enthusiastic energized inspired triumphant "
        "exuberant bubbly passionate fired_up overexcited dazzled starstruck buzzing "
        "charged lively animated spirited victorious"
    ),
    ("pos", "mid"): _words(
        "happy glad cheerful pleased joyful proud hopeful grateful thankful lucky blessed "
        "amused optimistic confident upbeat chipper merry jolly sunny playful warm "
        "friendly eager_enough keen encouraged motivated satisfied fulfilled"
    ),
    ("pos", "low"): _words(
        "content peaceful serene relieved comfortable cozy safe secure mellow tranquil "
        "soothed gentle tender loved cared_for appreciated accepted understood sweet "
        "easygoing unhurried placid rested restored"
    ),
}

#: Judgements of things (``this is ...``), by (valence, arousal).
JUDGEMENTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("neg", "high"): _words(
        "outrageous unacceptable disgusting appalling atrocious horrendous monstrous terrible "
        "awful horrible dreadful "
        "insane insulting unbelievable infuriating intolerable scandalous shameful "
        "criminal vicious cruel sickening revolting obscene despicable disastrous "
        "catastrophic hideous ridiculous absurd"
    ),
    ("neg", "mid"): _words(
        "bad annoying unfair wrong stupid useless pointless messy broken late slow "
        "careless rude selfish lazy sloppy clumsy irritating tiresome inconvenient "
        "unreasonable awkward complicated frustrating confusing"
    ),
    ("neg", "low"): _words(
        "sad disappointing dull bleak grim dreary gloomy empty lonely quiet cold gray "
        "hopeless pitiful tragic heartbreaking unfortunate painful hard tough "
        "depressing sorry miserable lifeless"
    ),
    ("zero", "high"): _words("surprising strange unexpected sudden odd weird new different"),
    ("zero", "mid"): _words("fine okay normal usual standard regular typical ordinary average"),
    ("zero", "low"): _words("plain simple small quiet routine familiar"),
    ("pos", "high"): _words(
        "amazing incredible fantastic awesome spectacular phenomenal sensational "
        "extraordinary outstanding terrific tremendous stunning breathtaking magnificent "
        "marvelous superb fabulous brilliant thrilling exciting unreal mind-blowing "
        "unforgettable legendary glorious"
    ),
    ("pos", "mid"): _words(
        "good great nice wonderful lovely perfect fun beautiful cool sweet clever "
        "charming delightful excellent impressive generous kind thoughtful helpful "
        "smart fair neat handy promising"
    ),
    ("pos", "low"): _words(
        "pleasant decent comfortable peaceful calm cozy soft gentle relaxing soothing "
        "restful quiet easy warm mild tidy reasonable sensible modest harmless agreeable "
        "fine simple"
    ),
}

#: Verbs of liking or disliking (``I ... it``), by valence and arousal.
ATTITUDES: dict[tuple[str, str], tuple[str, ...]] = {
    ("neg", "high"): _words("hate despise detest loathe can't_stand resent"),
    ("neg", "mid"): _words("dislike mind regret doubt distrust"),
    ("neg", "low"): _words("miss regret mourn"),
    ("pos", "high"): _words("love adore worship cherish"),
    ("pos", "mid"): _words("like enjoy appreciate admire"),
    ("pos", "low"): _words("accept trust value"),
}

#: Words that make a judgement stronger (more aroused) or weaker (hedges).
INTENSIFIERS: tuple[str, ...] = _words(
    "really so very totally absolutely completely utterly extremely incredibly "
    "seriously truly insanely unbelievably ridiculously terribly awfully deeply "
    "thoroughly entirely"
)
HEDGES: tuple[str, ...] = _words(
    "kind_of sort_of a_bit a_little somewhat slightly rather fairly maybe probably "
    "perhaps possibly more_or_less a_little_bit almost"
)

#: Discourse openers and short reactions.
OPENERS: tuple[str, ...] = _words(
    "well oh so look listen you_know honestly actually anyway okay right now frankly "
    "basically seriously alright hey see um uh"
)
BACKCHANNELS: tuple[str, ...] = _words("yeah okay right mm-hmm sure uh-huh yes no hmm")

#: Names of people.
NAMES: tuple[str, ...] = _words(
    "Aaron Abigail Adam Adrian Alan Albert Alice Alicia Allison Amanda Amber Amy Andrea "
    "Andrew Angela Anna Anthony Arthur Ashley Audrey Barbara Benjamin Betty Beverly "
    "Bobby Brandon Brenda Brian Bruce Bryan Caleb Carl Carol Caroline Catherine Charles "
    "Charlotte Cheryl Chloe Christian Christina Christopher Cindy Claire Clara Colin "
    "Connor Craig Cynthia Daniel Danny Dave David Deborah Denise Dennis Derek Diana "
    "Diane Donald Donna Dorothy Douglas Dylan Edward Eleanor Elijah Elizabeth Ellen "
    "Emily Emma Eric Ethan Eugene Evelyn Frank Fred Gabriel Gary George Gerald Gloria "
    "Grace Gregory Hannah Harold Harry Heather Helen Henry Isaac Isabel Jack Jacob "
    "Jacqueline James Janet Janice Jason Jean Jeffrey Jennifer Jeremy Jerry Jesse "
    "Jessica Joan Joe John Jonathan Jordan Joseph Joshua Joyce Judith Judy Julia Julie "
    "Justin Karen Kate Katherine Kathleen Keith Kelly Kenneth Kevin Kimberly Kyle "
    "Larry Laura Lauren Lawrence Leo Linda Lisa Logan Louis Lucas Lucy Madison Margaret "
    "Maria Marie Marilyn Mark Martha Martin Mary Matthew Megan Melissa Michael Michelle "
    "Molly Nancy Natalie Nathan Nicholas Nicole Noah Olivia Oscar Pamela Patricia "
    "Patrick Paul Peter Philip Rachel Ralph Randy Raymond Rebecca Richard Robert Roger "
    "Ronald Rose Russell Ruth Ryan Samantha Samuel Sandra Sara Scott Sean Sharon "
    "Shirley Sophia Stephanie Stephen Steven Susan Teresa Terry Theresa Thomas Timothy "
    "Tyler Victoria Vincent Virginia Walter Wayne William Zachary "
    "Abraham Agnes Beatrice Bernard Cecilia Clarence Cornelius Dolores Edith Edgar Felix Florence Gertrude Gilbert Harriet Herbert Ingrid Irving Josephine Leonard Mabel Maxwell Mildred Milton Norman Olive Percy Priscilla Quentin Rosalind Rupert Sebastian Sylvia Theodore Ursula Vernon Wallace Wilma Winston Yvonne"
)

#: Relatives, colleagues and other people one talks about.
RELATIONS: tuple[str, ...] = _words(
    "mother father mom dad sister brother aunt uncle cousin grandmother grandfather "
    "grandma grandpa niece nephew son daughter wife husband fiance girlfriend boyfriend "
    "roommate neighbor landlord boss manager coworker colleague teacher professor "
    "doctor dentist nurse lawyer accountant mechanic plumber electrician babysitter "
    "coach trainer pastor priest friend partner client customer agent realtor "
    "supervisor assistant secretary receptionist stepfather stepmother godmother "
    "in-laws therapist counselor pharmacist"
)

#: Places inside a town.
PLACES: tuple[str, ...] = _words(
    "airport apartment arcade attic bakery bank bar barbershop basement beach bookstore "
    "bowling_alley bridge bus_stop butcher cafe cafeteria campus casino cathedral "
    "cemetery chapel church cinema clinic closet clubhouse college courthouse diner "
    "dock dorm drugstore factory farm fire_station florist garage garden gas_station "
    "gym hallway harbor hardware_store highway hospital hotel kitchen laundromat "
    "library lobby mall marina market motel museum nightclub office parking_lot park "
    "pharmacy pier playground plaza pool porch post_office pub restaurant salon school "
    "shed shelter stadium station store studio subway supermarket swimming_pool "
    "synagogue temple theater tower train_station warehouse yard zoo laboratory "
    "greenhouse bus_station ferry_terminal courtyard boardwalk riverbank lakeside "
    "vineyard orchard ranch cabin cottage farmhouse mansion trailer camper tent "
    "dormitory bungalow penthouse workshop storage_unit bakery_counter newsstand "
    "jewelry_store pet_shop toy_store shoe_store car_wash tailor repair_shop dentist's "
    "waiting_room emergency_room ballroom gallery auditorium conference_room classroom "
    "locker_room mailroom boiler_room rooftop balcony driveway sidewalk alley tunnel "
    "parking_garage boathouse lighthouse observatory aquarium planetarium skating_rink "
    "ski_lodge golf_course tennis_court racetrack fairground carnival circus"
)

#: Cities, states and countries.
CITIES: tuple[str, ...] = _words(
    "Boston Chicago Denver Seattle Portland Phoenix Dallas Houston Austin Atlanta Miami "
    "Orlando Tampa Nashville Memphis Detroit Cleveland Pittsburgh Philadelphia Baltimore "
    "Richmond Charlotte Raleigh Omaha Tulsa Albuquerque Tucson Sacramento Fresno Oakland "
    "Reno Salem Boise Spokane Anchorage Honolulu Milwaukee Minneapolis Madison "
    "Indianapolis Columbus Cincinnati Louisville Lexington Savannah Charleston Buffalo "
    "Rochester Albany Hartford Providence Burlington Montreal Toronto Vancouver Ottawa "
    "London Paris Berlin Madrid Rome Vienna Prague Dublin Lisbon Athens Oslo Stockholm "
    "Helsinki Copenhagen Amsterdam Brussels Zurich Geneva Munich Milan Venice Florence "
    "Barcelona Seville Tokyo Osaka Kyoto Seoul Beijing Shanghai Sydney Melbourne Auckland "
    "Mexico Canada Texas Ohio Oregon Nevada Arizona Utah Montana Vermont Maine Alaska "
    "Florida Georgia Kansas Iowa Idaho Wyoming Kentucky Virginia Colorado California "
    "Ireland Scotland Spain Italy France Germany Greece Norway Sweden Japan Brazil Peru "
    "Chile Argentina Egypt Morocco Kenya India Thailand Vietnam"
)

#: Things people handle, buy, lose and lend.
OBJECTS: tuple[str, ...] = _words(
    "keys ticket phone bag forms coat wallet papers umbrella suitcase laptop charger "
    "camera glasses sunglasses watch ring necklace bracelet earrings scarf gloves hat "
    "jacket sweater shirt dress skirt jeans boots sneakers sandals belt tie socks "
    "backpack purse briefcase envelope letter package parcel box crate basket bucket "
    "ladder hammer screwdriver wrench drill saw shovel rake hose lawnmower bicycle "
    "helmet skateboard scooter stroller wagon car truck van motorcycle trailer boat "
    "canoe kayak tent sleeping_bag blanket pillow mattress sofa couch armchair table "
    "desk chair stool bookshelf cabinet dresser drawer mirror lamp candle vase clock "
    "radio television remote speaker headphones microphone guitar piano violin drum "
    "trumpet flute keyboard printer scanner monitor mouse notebook diary calendar "
    "map atlas dictionary magazine newspaper novel textbook paperback album photo "
    "painting poster frame sculpture trophy medal certificate diploma passport license "
    "receipt invoice contract lease mortgage check bill coupon voucher menu recipe "
    "cookbook kettle toaster blender microwave oven stove fridge freezer dishwasher "
    "washing_machine dryer iron vacuum broom mop sponge towel soap shampoo toothbrush "
    "razor comb brush perfume lipstick bandage thermometer medicine pills vitamins "
    "stamp stapler scissors tape glue ruler pencil pen marker crayons eraser folder "
    "binder file clipboard badge lanyard flashlight battery extension_cord light_bulb "
    "fan heater air_conditioner thermostat doorbell mailbox fence gate hedge flowerpot "
    "seeds fertilizer birdhouse aquarium_tank leash collar cage puzzle board_game cards "
    "dice chessboard kite balloon present gift ribbon wrapping_paper costume mask "
    "wig tuxedo veil bouquet invitation guestbook cake_stand tablecloth napkins plates "
    "cups mugs glasses_case bowls spoons forks knives chopsticks pan pot tray jar "
    "bottle thermos lunchbox cooler grill charcoal firewood matches lighter "
    "doormat curtains blinds rug carpet quilt duvet hanger laundry_basket trash_can recycling_bin compost_bin wheelbarrow toolbox paintbrush roller canvas easel sketchbook telescope binoculars compass tripod projector tablet smartwatch router modem cable walkie-talkie megaphone whistle stopwatch timer scale tape_measure level chisel crowbar padlock chain rope twine net fishing_rod tackle_box cooler_bag picnic_blanket hammock lawn_chair umbrella_stand coat_rack shoe_rack spice_rack cutting_board rolling_pin whisk ladle spatula colander grater peeler corkscrew can_opener teapot saucepan skillet wok baking_sheet muffin_tin casserole_dish salad_bowl gravy_boat"
)

#: Food and drink.
FOODS: tuple[str, ...] = _words(
    "pizza pasta spaghetti lasagna soup salad sandwich burger hot_dog taco burrito "
    "sushi noodles rice curry stew chili omelet pancakes waffles cereal oatmeal toast "
    "bagel muffin croissant donut cookies brownies cake pie cheesecake pudding "
    "ice_cream yogurt cheese bread butter jam honey peanut_butter eggs bacon sausage "
    "ham turkey chicken steak pork lamb salmon tuna shrimp lobster crab oysters "
    "potatoes fries carrots broccoli spinach lettuce tomatoes cucumbers onions garlic "
    "peppers mushrooms beans corn peas apples bananas oranges grapes strawberries "
    "blueberries cherries peaches pears plums lemons limes watermelon pineapple mango "
    "coconut almonds walnuts peanuts popcorn chips pretzels crackers candy chocolate "
    "coffee tea juice lemonade milk water soda beer wine champagne whiskey cocoa "
    "smoothie milkshake dumplings meatballs casserole barbecue "
    "risotto ravioli gnocchi paella goulash gumbo jambalaya quiche souffle fondue hummus falafel kebab gyros pita tortillas nachos guacamole salsa enchiladas cornbread biscuits scones crepes granola trail_mix raisins dates figs apricots kiwis papayas pomegranates cranberries raspberries blackberries zucchini eggplant asparagus cauliflower cabbage celery radishes beets pumpkin squash"
)

#: Activities as (base, past, -ing) forms.
ACTIVITIES: tuple[tuple[str, str, str], ...] = tuple(
    tuple(triple.split("/"))  # type: ignore[misc]
    for triple in _words(
        "paint/painted/painting clean/cleaned/cleaning fix/fixed/fixing wash/washed/washing "
        "cook/cooked/cooking bake/baked/baking move/moved/moving pack/packed/packing "
        "unpack/unpacked/unpacking visit/visited/visiting call/called/calling "
        "email/emailed/emailing text/texted/texting mail/mailed/mailing order/ordered/ordering "
        "return/returned/returning borrow/borrowed/borrowing rent/rented/renting "
        "book/booked/booking cancel/canceled/canceling plan/planned/planning "
        "organize/organized/organizing repair/repaired/repairing check/checked/checking "
        "count/counted/counting sort/sorted/sorting file/filed/filing print/printed/printing "
        "copy/copied/copying sign/signed/signing deliver/delivered/delivering "
        "pick/picked/picking drop/dropped/dropping carry/carried/carrying lift/lifted/lifting "
        "push/pushed/pushing pull/pulled/pulling open/opened/opening close/closed/closing "
        "lock/locked/locking unlock/unlocked/unlocking park/parked/parking walk/walked/walking "
        "jog/jogged/jogging hike/hiked/hiking climb/climbed/climbing sail/sailed/sailing "
        "fish/fished/fishing camp/camped/camping travel/traveled/traveling "
        "practice/practiced/practicing rehearse/rehearsed/rehearsing study/studied/studying "
        "learn/learned/learning watch/watched/watching listen/listened/listening "
        "play/played/playing dance/danced/dancing skate/skated/skating ski/skied/skiing "
        "shop/shopped/shopping garden/gardened/gardening plant/planted/planting "
        "water/watered/watering mow/mowed/mowing vacuum/vacuumed/vacuuming "
        "iron/ironed/ironing fold/folded/folding measure/measured/measuring "
        "decorate/decorated/decorating wrap/wrapped/wrapping mark/marked/marking "
        "interview/interviewed/interviewing hire/hired/hiring train/trained/training "
        "coach/coached/coaching recycle/recycled/recycling "
        "renovate/renovated/renovating install/installed/installing update/updated/updating "
        "download/downloaded/downloading upload/uploaded/uploading scan/scanned/scanning "
        "sketch/sketched/sketching record/recorded/recording edit/edited/editing "
        "test/tested/testing review/reviewed/reviewing report/reported/reporting "
        "schedule/scheduled/scheduling arrange/arranged/arranging prepare/prepared/preparing "
        "assemble/assembled/assembling polish/polished/polishing paste/pasted/pasting "
        "bring/brought/bringing buy/bought/buying sell/sold/selling find/found/finding "
        "lose/lost/losing keep/kept/keeping send/sent/sending take/took/taking "
        "make/made/making build/built/building write/wrote/writing read/read/reading "
        "drive/drove/driving ride/rode/riding swim/swam/swimming sing/sang/singing "
        "draw/drew/drawing sweep/swept/sweeping hang/hung/hanging lend/lent/lending "
        "feed/fed/feeding teach/taught/teaching catch/caught/catching throw/threw/throwing "
        "hide/hid/hiding sew/sewed/sewing knit/knitted/knitting weave/wove/weaving "
        "freeze/froze/freezing grind/ground/grinding dig/dug/digging spin/spun/spinning"
    )
)

#: Matters people discuss (``the ...``).
TOPICS: tuple[str, ...] = _words(
    "job interview wedding funeral party trip flight vacation holiday weekend move "
    "lease rent mortgage loan contract promotion raise salary budget bill taxes "
    "exam test grade thesis paper project presentation meeting conference deadline "
    "schedule shift overtime audition concert recital play show game match tournament "
    "race marathon surgery appointment checkup diagnosis treatment therapy insurance "
    "claim lawsuit trial hearing verdict divorce custody adoption pregnancy birthday "
    "anniversary reunion graduation ceremony retirement transfer application "
    "scholarship visa permit license inspection renovation remodel repairs delivery "
    "order refund warranty complaint review election campaign debate protest strike "
    "layoff merger startup business restaurant menu recipe dinner lunch breakfast "
    "picnic barbecue cruise road_trip camping_trip honeymoon proposal engagement "
    "rehearsal dress_code guest_list seating_chart playlist speech toast letter "
    "message voicemail phone_call news headline story rumor secret surprise gossip "
    "accident storm flood blackout fire traffic detour commute parking_ticket fine "
    "car_loan credit_card bank_account savings pension inheritance will estate "
    "garage_sale yard_sale auction fundraiser charity volunteer_work internship "
    "apprenticeship training orientation seminar workshop lecture course semester "
    "homework assignment quiz essay report budget_meeting performance_review "
    "housewarming baby_shower bachelor_party christening bar_mitzvah prom homecoming recital_rehearsal science_fair spelling_bee book_club potluck bake_sale blood_drive town_meeting jury_duty court_date parole_hearing custody_hearing open_house home_inspection closing appraisal audit tax_return refinancing bankruptcy settlement negotiation ultimatum apology confession eulogy sermon"
)

#: Times and moments.
TIMES: tuple[str, ...] = _words(
    "today tonight tomorrow yesterday this_morning this_afternoon this_evening "
    "last_night last_week next_week last_month next_month on_Monday on_Tuesday "
    "on_Wednesday on_Thursday on_Friday on_Saturday on_Sunday in_January in_February "
    "in_March in_April in_May in_June in_July in_August in_September in_October "
    "in_November in_December at_noon at_midnight at_dawn after_lunch before_dinner "
    "over_the_weekend next_spring last_summer this_fall next_winter someday soon later "
    "early late eventually"
)

#: Neutral describing words for objects and places.
DESCRIPTIONS: tuple[str, ...] = _words(
    "red blue green yellow orange purple pink brown black white gray silver golden "
    "wooden metal plastic glass leather cotton wool paper rubber ceramic old new "
    "small big large tiny huge heavy light long short tall wide narrow round square "
    "flat thick thin empty full clean dirty wet dry hot cold warm cool spare extra "
    "second third other usual same whole half broken shiny striped spotted plain "
    "fancy cheap expensive borrowed rented folding portable electric manual digital "
    "antique modern vintage used secondhand handmade homemade "
    "crooked dented scratched faded polished rusty dusty sticky fuzzy soggy crumpled wrinkled tangled spotless lopsided oversized miniature waterproof foldable adjustable detachable rechargeable"
)

#: Family names (``Mrs. Hoffman``, ``the Garcias``).
SURNAMES: tuple[str, ...] = _words(
    "Adams Allen Anderson Bailey Baker Barnes Bell Bennett Brooks Brown Bryant Butler "
    "Campbell Carter Chapman Clark Coleman Collins Cook Cooper Cox Crawford Cruz Davis "
    "Diaz Dixon Edwards Ellis Evans Fisher Fleming Ford Foster Fowler Garcia Gardner "
    "Gibson Gilbert Gonzalez Gordon Graham Grant Gray Green Griffin Hall Hamilton "
    "Hansen Harper Harris Hayes Henderson Hill Hoffman Holland Howard Hudson Hughes "
    "Hunter Jackson Jenkins Johnson Jordan Kelley Kennedy Kim King Knight Lambert "
    "Lawson Lee Lewis Lopez Marshall Martin Mason Matthews Miller Mitchell Moore "
    "Morgan Morris Murphy Murray Nelson Newman Nguyen Nichols Norris Olsen Owens "
    "Palmer Parker Patel Patterson Payne Perry Peterson Phillips Porter Powell Price "
    "Quinn Ramirez Reed Reyes Reynolds Rice Richards Riley Rivera Roberts Robinson "
    "Rogers Ross Russell Sanders Schmidt Scott Shaw Simmons Simpson Smith Snyder "
    "Spencer Stevens Stewart Stone Sullivan Taylor Thompson Torres Tucker Turner "
    "Walker Wallace Ward Warren Watson Weaver Webb Wells West Wheeler White Williams "
    "Willis Wilson Wood Wright Young"
)

#: Animals (pets, farm, wild).
ANIMALS: tuple[str, ...] = _words(
    "dog puppy cat kitten hamster rabbit parrot goldfish turtle pony horse donkey goat "
    "sheep cow pig chickens ducks geese raccoon squirrel deer fox wolf bear moose "
    "skunk owl eagle hawk pigeon seagull dolphin whale seal penguin lizard snake frog "
    "mouse bat beaver otter llama camel elephant giraffe zebra tiger lion monkey"
)

#: Hobbies, sports and pastimes (``the ...``; ``my ... class``).
PASTIMES: tuple[str, ...] = _words(
    "baseball basketball football soccer hockey tennis golf volleyball bowling "
    "swimming yoga pilates karate boxing wrestling archery fencing cycling rowing "
    "surfing snowboarding climbing chess poker bridge bingo trivia karaoke pottery "
    "photography woodworking quilting embroidery crochet calligraphy origami "
    "astronomy birdwatching beekeeping fishing hunting sailing canoeing rafting "
    "horseback_riding ballet salsa tango jazz choir orchestra band theater improv"
)

#: Jobs people have or want.
JOBS: tuple[str, ...] = _words(
    "accountant actor architect artist baker barber bartender carpenter cashier chef "
    "cleaner clerk consultant designer driver editor engineer farmer firefighter "
    "gardener guard hairdresser janitor journalist judge librarian mailman musician "
    "painter photographer pilot plumber police_officer programmer reporter salesman "
    "scientist singer soldier surgeon tailor technician translator veterinarian "
    "waiter waitress writer"
)
